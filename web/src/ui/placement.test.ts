import { describe, expect, it } from 'vitest';
import { placeToolbar, shiftInto, type Box } from './placement.js';

const box = (left: number, top: number, w: number, h: number): Box => ({
  left,
  top,
  right: left + w,
  bottom: top + h,
});
const overlaps = (a: Box, b: Box) =>
  a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
const bound = box(0, 0, 800, 600);
const bar = { w: 140, h: 36 };

describe('placeToolbar', () => {
  it('puts the toolbar beside a short message from someone else, outside the card', () => {
    const card = box(20, 300, 120, 40);
    const p = placeToolbar({ card, message: box(20, 280, 120, 60), bar, bound, self: false });
    expect(p.side).toBe('beside');
    expect(overlaps(box(p.left, p.top, bar.w, bar.h), card)).toBe(false);
  });

  it("puts it to the left of one's own message", () => {
    const card = box(600, 300, 180, 40);
    const p = placeToolbar({ card, message: card, bar, bound, self: true });
    expect(p).toEqual({ left: 600 - 4 - 140, top: 300, side: 'beside' });
  });

  it('goes above a wide message, never over its header or text, and stays inside the bound', () => {
    const card = box(-10, 300, 780, 80);
    const message = box(-10, 278, 780, 102);
    const p = placeToolbar({ card, message, bar, bound, self: false });
    expect(p.side).toBe('above');
    const t = box(p.left, p.top, bar.w, bar.h);
    expect(overlaps(t, message)).toBe(false);
    expect(t.left).toBeGreaterThanOrEqual(0);
  });

  it('goes below a wide message at the top of the list', () => {
    const card = box(10, 20, 780, 80);
    const p = placeToolbar({ card, message: box(10, 2, 780, 98), bar, bound, self: false });
    expect(p.side).toBe('below');
    expect(p.top).toBeGreaterThanOrEqual(100);
  });
});

describe('shiftInto', () => {
  it('leaves a box inside alone', () =>
    expect(shiftInto(box(10, 10, 100, 100), bound)).toEqual({ dx: 0, dy: 0 }));
  it('pulls a box in from the left and the right', () => {
    expect(shiftInto(box(-64, 10, 100, 100), bound).dx).toBe(72);
    expect(shiftInto(box(750, 10, 100, 100), bound).dx).toBe(-58);
  });
  it('lifts a box that hangs below the bottom', () =>
    expect(shiftInto(box(10, 550, 100, 100), bound).dy).toBe(-58));
});
