import { describe, expect, it } from 'vitest';
import { Histogram } from './stats.js';

describe('Histogram', () => {
  it('resolves sub-millisecond latencies to the microsecond, so two medians ~0.1 ms apart compare fairly', () => {
    const a = new Histogram();
    const b = new Histogram();
    for (let i = 0; i < 101; i++) a.add(0.1012 + i * 0.00001);
    for (let i = 0; i < 101; i++) b.add(0.1091 + i * 0.00001);
    // Both sets fall in one 10 µs bucket, where the old histogram reported 0.11 for both.
    expect(a.summary().p50).toBe(0.102);
    expect(b.summary().p50).toBe(0.11);
  });

  it('keeps percentiles of slow samples and the maximum', () => {
    const h = new Histogram();
    for (let i = 1; i <= 100; i++) h.add(i < 99 ? 1 : 250.4);
    const s = h.summary();
    expect(s.samples).toBe(100);
    // A percentile is its bucket's upper edge: 1 µs above 1 ms.
    expect(s.p50).toBe(1.001);
    expect(s.p99).toBe(251);
    expect(s.max).toBe(250.4);
  });
});
