/**
 * "Touch-first" means the primary pointer is a finger: no hover, coarse pointer. A laptop with a
 * touch screen keeps the pointer behaviour; a tablet with a keyboard case keeps the touch one.
 */
const TOUCH_QUERY = '(hover: none) and (pointer: coarse)';

export function isTouchFirst(): boolean {
  return typeof matchMedia === 'function' && matchMedia(TOUCH_QUERY).matches;
}

/** Phones get bottom sheets instead of anchored menus; matches the stylesheet's breakpoint. */
export const SHEET_QUERY = '(max-width: 600px)';
