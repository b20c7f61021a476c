import { useEffect } from 'react';

/**
 * Sizes the app to the visual viewport (`--vv-h`, `--vv-top` on <html>): when a soft keyboard
 * opens, browsers that only shrink the visual viewport (Safari) would otherwise cover the composer.
 * Chromium gets the same result from `interactive-widget=resizes-content` in the viewport meta.
 */
export function useVisualViewport(): void {
  useEffect(() => {
    const vv = window.visualViewport;
    if (!vv) return;
    const root = document.documentElement;
    let frame = 0;
    const apply = () => {
      frame = 0;
      root.style.setProperty('--vv-h', `${Math.round(vv.height)}px`);
      root.style.setProperty('--vv-top', `${Math.round(vv.offsetTop)}px`);
    };
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(apply);
    };
    apply();
    vv.addEventListener('resize', schedule);
    vv.addEventListener('scroll', schedule);
    return () => {
      if (frame) cancelAnimationFrame(frame);
      vv.removeEventListener('resize', schedule);
      vv.removeEventListener('scroll', schedule);
      root.style.removeProperty('--vv-h');
      root.style.removeProperty('--vv-top');
    };
  }, []);
}
