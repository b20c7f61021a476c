import { describe, expect, it } from 'vitest';
import { RateLimiter, refillMs, type Bucket, type BucketSpec } from '../limits/rateLimit.js';

const specs = { action: { capacity: 3, refillPerS: 1 }, global: { capacity: 4, refillPerS: 1 } };
const T0 = 1_800_000_000_000;

function takes(rl: RateLimiter, now: number, n: number, ip = '10.0.0.1', key = 'room:abcd'): boolean[] {
  return Array.from({ length: n }, () => rl.take(now, ip, key, true));
}

describe('RateLimiter', () => {
  it('takes from the action and the global bucket together, and from neither when one is empty', () => {
    const rl = new RateLimiter(specs);
    expect(takes(rl, T0, 4)).toEqual([true, true, true, false]);
    // The global bucket lost only the three granted tokens: another room still gets one.
    expect(rl.take(T0, '10.0.0.1', 'room:other', true)).toBe(true);
    expect(rl.take(T0, '10.0.0.1', 'room:third', true)).toBe(false);
    // Another address is untouched.
    expect(takes(rl, T0, 3, '10.0.0.2')).toEqual([true, true, true]);
  });

  it('keeps no action bucket that is full again, and answers as if it had kept them all', () => {
    const rl = new RateLimiter({
      action: { capacity: 3, refillPerS: 10 },
      global: { capacity: 100, refillPerS: 100 },
    });
    // One post in each of 50 rooms, 200 ms apart: each bucket is full again before the next
    // post, so a client touring many rooms holds one bucket at a time, not one per room.
    for (let i = 0; i < 50; i++) expect(rl.take(T0 + i * 200, '10.0.0.1', `room:r${i}`, true)).toBe(true);
    expect(rl.actionBucketCount).toBe(1);
    // Draining one room while touching others: the drained bucket is remembered until it has
    // refilled, however many other rooms the client posts to in between.
    const t = T0 + 20_000;
    expect(takes(rl, t, 3, '10.0.0.1', 'room:hot')).toEqual([true, true, true]);
    for (let i = 0; i < 5; i++) expect(rl.take(t + 10, '10.0.0.1', `room:cold${i}`, true)).toBe(true);
    expect(rl.take(t + 20, '10.0.0.1', 'room:hot', true)).toBe(false);
    // 100 ms later one token is back in the hot room, and only one.
    expect(takes(rl, t + 100, 2, '10.0.0.1', 'room:hot')).toEqual([true, false]);
    // Once every bucket is full again, the next post finds none kept.
    rl.take(t + 5_000, '10.0.0.1', 'room:other', true);
    expect(rl.actionBucketCount).toBe(1);
  });

  it('sweeps a client only once its buckets have refilled, so sweeping never changes an answer', () => {
    const idle = refillMs(specs);
    expect(idle).toBe(4000);
    const rl = new RateLimiter(specs);
    expect(takes(rl, T0, 4)).toEqual([true, true, true, false]);
    // Half-way: kept, and still short of tokens.
    rl.sweep(T0 + 1000, idle);
    expect(takes(rl, T0 + 1000, 2)).toEqual([true, false]);
    // Idle for a full refill: dropped, and a fresh bucket answers as the refilled one would.
    rl.sweep(T0 + 1000 + idle + 1, idle);
    expect(rl.actionBucketCount).toBe(0);
    expect(takes(rl, T0 + 1000 + idle + 1, 4)).toEqual([true, true, true, false]);
  });

  it('neither drains nor stalls when the clock steps back', () => {
    const rl = new RateLimiter(specs);
    expect(takes(rl, T0, 3)).toEqual([true, true, true]);
    expect(takes(rl, T0 - 60_000, 1)).toEqual([false]);
    expect(takes(rl, T0 - 59_000, 1)).toEqual([true]);
  });

  it('re-keys one bucket for a client posting steadily round-robin to many rooms, with the same answers', () => {
    const specs = { action: { capacity: 300, refillPerS: 100 }, global: { capacity: 600, refillPerS: 200 } };
    const rl = new CountingLimiter(specs);
    const model = new KeptForever(specs);
    // The HTTP ingest pattern: 90 posts/s round-robin over 20 rooms. The shadow bucket is full
    // at nearly every post; the client's bucket used to be dropped and re-made each time.
    for (let i = 0; i < 2000; i++) {
      const now = T0 + Math.floor((i * 1000) / 90);
      const room = `room:r${i % 20}`;
      expect(rl.take(now, '10.0.0.1', room, true)).toBe(model.take(now, room));
      expect(rl.actionBucketCount).toBeLessThanOrEqual(2);
    }
    // The shadow, the global bucket and a handful of action buckets made while the shadow
    // refilled at the start: not one per post.
    expect(rl.created).toBeLessThan(10);
  });

  it('stays small for a client served in bunches across many rooms, and answers as buckets kept forever would', () => {
    const specs = { action: { capacity: 300, refillPerS: 100 }, global: { capacity: 600, refillPerS: 200 } };
    const rl = new RateLimiter(specs);
    const model = new KeptForever(specs);
    // An overloaded relay serves each client's posts in bunches: 20 posts within 1 ms, then a
    // pause, round-robin over 200 rooms. The shadow bucket never fills, so only the purge keeps
    // the map small. A few rooms get a burst big enough to run their bucket dry.
    let t = T0;
    let maxHeld = 0;
    let refused = 0;
    for (let bunch = 0; bunch < 400; bunch++) {
      const size = bunch % 100 === 7 ? 320 : 20;
      for (let k = 0; k < size; k++) {
        const room = size > 20 ? 'room:hot' : `room:r${(bunch * 20 + k) % 200}`;
        const got = rl.take(t + k / size, '10.0.0.1', room, true);
        expect(got).toBe(model.take(t + k / size, room));
        if (!got) refused++;
      }
      maxHeld = Math.max(maxHeld, rl.actionBucketCount);
      t += 120;
    }
    expect(refused).toBeGreaterThan(0);
    expect(maxHeld).toBeLessThanOrEqual(64);
  });
});

/** Counts the buckets it makes. */
class CountingLimiter extends RateLimiter {
  created = 0;
  protected override createBucket(ip: string, action: string, spec: BucketSpec, now: number): Bucket {
    this.created++;
    return super.createBucket(ip, action, spec, now);
  }
}

/** The plain definition: one bucket per key and one per client, never dropped. */
class KeptForever {
  private readonly actions = new Map<string, { tokens: number; at: number }>();
  private readonly global: { tokens: number; at: number };

  constructor(
    private readonly specs: {
      action: { capacity: number; refillPerS: number };
      global: { capacity: number; refillPerS: number };
    },
  ) {
    this.global = { tokens: specs.global.capacity, at: 0 };
  }

  take(now: number, key: string): boolean {
    const a = this.actions.get(key) ?? { tokens: this.specs.action.capacity, at: now };
    this.actions.set(key, a);
    const full = (b: { tokens: number; at: number }, spec: { capacity: number; refillPerS: number }) => {
      if (now > b.at) b.tokens = Math.min(spec.capacity, b.tokens + ((now - b.at) / 1000) * spec.refillPerS);
      b.at = now;
      return b.tokens >= 1;
    };
    if (!full(a, this.specs.action)) return false;
    if (!full(this.global, this.specs.global)) return false;
    a.tokens -= 1;
    this.global.tokens -= 1;
    return true;
  }
}
