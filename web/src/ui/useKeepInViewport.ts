import { useLayoutEffect, type RefObject } from 'react';
import { SHEET_QUERY } from './device.js';
import { shiftInto, type Box } from './placement.js';

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
      const bound = clippedBy(el, {
        left: 0,
        top: vv?.offsetTop ?? 0,
        right: vv?.width ?? window.innerWidth,
        bottom: (vv?.offsetTop ?? 0) + (vv?.height ?? window.innerHeight),
      });
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

/** The part of `bound` left visible by the element's clipping ancestors (a scrolling list). */
function clippedBy(el: HTMLElement, bound: Box): Box {
  const b = { ...bound };
  if (getComputedStyle(el).position === 'fixed') return b;
  for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
    const cs = getComputedStyle(a);
    if (cs.overflowX === 'visible' && cs.overflowY === 'visible') continue;
    const r = a.getBoundingClientRect();
    b.left = Math.max(b.left, r.left);
    b.top = Math.max(b.top, r.top);
    b.right = Math.min(b.right, r.left + a.clientWidth);
    b.bottom = Math.min(b.bottom, r.top + a.clientHeight);
  }
  return b;
}
