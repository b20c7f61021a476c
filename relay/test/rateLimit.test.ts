import { describe, expect, it } from 'vitest';
import { refillMs } from '../deps.js';
import { RateLimiter } from '../limits/rateLimit.js';

const action = { capacity: 3, refillPerS: 1 };
const global = { capacity: 4, refillPerS: 1 };
const T0 = 1_800_000_000_000;

function takes(rl: RateLimiter, now: number, n: number, ip = '10.0.0.1', key = 'room:abcd'): boolean[] {
  return Array.from({ length: n }, () => rl.take(now, ip, key, action, global));
}

describe('RateLimiter', () => {
  it('takes from the action and the global bucket together, and from neither when one is empty', () => {
    const rl = new RateLimiter();
    expect(takes(rl, T0, 4)).toEqual([true, true, true, false]);
    // The global bucket lost only the three granted tokens: another room still gets one.
    expect(rl.take(T0, '10.0.0.1', 'room:other', action, global)).toBe(true);
    expect(rl.take(T0, '10.0.0.1', 'room:third', action, global)).toBe(false);
    // Another address is untouched.
    expect(takes(rl, T0, 3, '10.0.0.2')).toEqual([true, true, true]);
  });

  it('sweeps a bucket only once it has refilled, so sweeping never changes an answer', () => {
    const idle = refillMs({ action, global });
    expect(idle).toBe(4000);
    const rl = new RateLimiter();
    expect(takes(rl, T0, 4)).toEqual([true, true, true, false]);
    // Half-way: kept, and still short of tokens.
    rl.sweep(T0 + 1000, idle);
    expect(takes(rl, T0 + 1000, 2)).toEqual([true, false]);
    // Idle for a full refill: dropped, and a fresh bucket answers as the refilled one would.
    rl.sweep(T0 + 1000 + idle + 1, idle);
    expect(takes(rl, T0 + 1000 + idle + 1, 4)).toEqual([true, true, true, false]);
  });

  it('neither drains nor stalls when the clock steps back', () => {
    const rl = new RateLimiter();
    expect(takes(rl, T0, 3)).toEqual([true, true, true]);
    expect(takes(rl, T0 - 60_000, 1)).toEqual([false]);
    expect(takes(rl, T0 - 59_000, 1)).toEqual([true]);
  });
});
