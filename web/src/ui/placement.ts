/** Pure geometry for floating toolbars and panels: choose a spot that stays inside a bound. */
export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

const GAP = 4;

function fits(b: Box, left: number, top: number, w: number, h: number): boolean {
  return left >= b.left && top >= b.top && left + w <= b.right && top + h <= b.bottom;
}

function clampX(b: Box, left: number, w: number): number {
  return Math.max(b.left, Math.min(left, b.right - w));
}

/**
 * Where a message's hover toolbar goes, in the same coordinates as the boxes: beside the card
 * (outside its text), else above the message (outside the sender line), else below it. Never over
 * the card or the header; shifted sideways to stay inside `bound`.
 */
export function placeToolbar(args: {
  card: Box;
  message: Box;
  bar: { w: number; h: number };
  bound: Box;
  self: boolean;
}): { left: number; top: number; side: 'beside' | 'above' | 'below' } {
  const { card, message, bar, bound, self } = args;
  const besideLeft = self ? card.left - GAP - bar.w : card.right + GAP;
  if (fits(bound, besideLeft, card.top, bar.w, bar.h))
    return { left: besideLeft, top: card.top, side: 'beside' };
  const x = clampX(bound, self ? card.right - bar.w : card.left, bar.w);
  const above = message.top - GAP - bar.h;
  if (above >= bound.top) return { left: x, top: above, side: 'above' };
  return { left: x, top: message.bottom + GAP, side: 'below' };
}

/** The shift that brings `r` inside `b` (with `margin`), preferring to keep its top-left. */
export function shiftInto(r: Box, b: Box, margin = 8): { dx: number; dy: number } {
  const dx =
    r.left < b.left + margin
      ? b.left + margin - r.left
      : r.right > b.right - margin
        ? Math.max(b.left + margin - r.left, b.right - margin - r.right)
        : 0;
  const dy =
    r.top < b.top + margin
      ? b.top + margin - r.top
      : r.bottom > b.bottom - margin
        ? Math.max(b.top + margin - r.top, b.bottom - margin - r.bottom)
        : 0;
  return { dx, dy };
}
