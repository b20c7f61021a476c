import { useLayoutEffect, type RefObject } from 'react';
import { SHEET_QUERY } from './device.js';
import { shiftInto } from './placement.js';

/**
 * Nudges an open floating element (menu, picker, list) back inside the visual viewport after each
 * render and on resize. The element keeps its CSS anchor; only a translate is added.
 */
export function useKeepInViewport(
  ref: RefObject<HTMLElement | null>,
  opts: { active?: boolean; sheetOnPhone?: boolean } = {},
): void {
  const active = opts.active ?? true;
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || !active) return;
    const fit = () => {
      el.style.translate = '';
      // On phones the stylesheet docks it as a bottom sheet, which is inside by construction.
      if (opts.sheetOnPhone && matchMedia(SHEET_QUERY).matches) return;
      const r = el.getBoundingClientRect();
      const vv = window.visualViewport;
      const bound = {
        left: 0,
        top: vv?.offsetTop ?? 0,
        right: vv?.width ?? window.innerWidth,
        bottom: (vv?.offsetTop ?? 0) + (vv?.height ?? window.innerHeight),
      };
      const { dx, dy } = shiftInto(r, bound);
      if (dx || dy) el.style.translate = `${dx}px ${dy}px`;
    };
    fit();
    window.addEventListener('resize', fit);
    window.visualViewport?.addEventListener('resize', fit);
    return () => {
      window.removeEventListener('resize', fit);
      window.visualViewport?.removeEventListener('resize', fit);
    };
  });
}
