import { describe, expect, it } from 'vitest';
import { ClockSkew } from './clockSkew.js';

function memStorage() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
}

describe('clock skew from our own echoes', () => {
  it('estimates server minus local from the POST midpoint, whichever of reply and echo comes first', () => {
    const c = new ClockSkew(memStorage());
    expect(c.offsetMs).toBe(0);
    // The device is 90 s behind: the relay stamped 100_000 + 90_000 + 20 while we waited 40 ms.
    c.noteEcho('a', 190_020);
    c.noteSend('a', 100_000, 100_040);
    expect(c.offsetMs).toBe(90_000);
    c.noteSend('b', 200_000, 200_010);
    c.noteEcho('b', 290_005);
    expect(c.offsetMs).toBe(90_000);
    expect(c.now(1_000)).toBe(91_000);
  });

  it('takes the median, ignores slow round trips and remembers the value', () => {
    const store = memStorage();
    const c = new ClockSkew(store);
    for (const [id, off] of [
      ['a', -5000],
      ['b', -5010],
      ['c', 60_000],
    ] as const) {
      c.noteSend(id, 1000, 1000);
      c.noteEcho(id, 1000 + off);
    }
    expect(c.offsetMs).toBe(-5000);
    c.noteSend('slow', 0, 9_000);
    c.noteEcho('slow', 999_999);
    expect(c.offsetMs).toBe(-5000);
    expect(new ClockSkew(store).offsetMs).toBe(-5000);
  });
});
