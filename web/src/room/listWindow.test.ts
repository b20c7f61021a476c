import { describe, expect, it } from 'vitest';
import { afterAppend, around, growDown, growUp, windowBounds } from './listWindow.js';

describe('the message list window', () => {
  it('starts at the newest messages and grows upwards within its cap', () => {
    let w = { size: 120, endOffset: 0 };
    expect(windowBounds(2000, w)).toEqual({ start: 1880, end: 2000 });
    w = growUp(w, 2000, 40, 200);
    expect(windowBounds(2000, w)).toEqual({ start: 1840, end: 2000 });
    w = growUp(growUp(w, 2000, 40, 200), 2000, 40, 200);
    // Capped at 200: the bottom is dropped as the top grows.
    expect(w).toEqual({ size: 200, endOffset: 40 });
    expect(windowBounds(2000, w)).toEqual({ start: 1760, end: 1960 });
    for (let i = 0; i < 100; i++) w = growUp(w, 2000, 40, 200);
    expect(windowBounds(2000, w)).toEqual({ start: 0, end: 200 });
    expect(growUp(w, 2000, 40, 200)).toBe(w);
  });

  it('grows back down to the live edge, dropping the top', () => {
    let w = { size: 200, endOffset: 1800 };
    w = growDown(w, 40, 200);
    expect(windowBounds(2000, w)).toEqual({ start: 40, end: 240 });
    for (let i = 0; i < 100; i++) w = growDown(w, 40, 200);
    expect(w).toEqual({ size: 200, endOffset: 0 });
    expect(growDown(w, 40, 200)).toBe(w);
  });

  it('centres jumps and keeps its place when messages arrive', () => {
    expect(windowBounds(2000, around(2000, 10, 200))).toEqual({ start: 0, end: 110 });
    expect(windowBounds(2000, around(2000, 1000, 200))).toEqual({ start: 900, end: 1100 });
    expect(windowBounds(2000, around(2000, 1990, 200))).toEqual({ start: 1800, end: 2000 });
    expect(afterAppend({ size: 200, endOffset: 500 }, 3, false)).toEqual({ size: 200, endOffset: 503 });
    expect(afterAppend({ size: 120, endOffset: 0 }, 3, true)).toEqual({ size: 120, endOffset: 0 });
    expect(afterAppend({ size: 120, endOffset: 0 }, 3, false)).toEqual({ size: 123, endOffset: 0 });
    // Reading above a busy live edge: the window stops at its cap and the newest wait below.
    const w = afterAppend({ size: 350, endOffset: 0 }, 30, false, 360);
    expect(w).toEqual({ size: 360, endOffset: 20 });
    expect(windowBounds(2030, w)).toEqual({ start: 1650, end: 2010 });
    expect(windowBounds(2000, { size: 350, endOffset: 0 }).start).toBe(1650);
  });
});
