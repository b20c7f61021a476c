/**
 * Latency histogram with constant-time insert and bounded memory: 1 µs buckets up to 100 ms,
 * then 1 ms buckets up to 60 s. Percentiles are exact to the bucket width. Round trips on
 * loopback take about 0.1 ms, so the buckets must be much finer than that: with 10 µs buckets
 * (as before) a ratio of two medians could be off by 10% from quantization alone.
 */
const FINE_US = 1;
const FINE_N = 100_000; // 0–100 ms
const COARSE_N = 60_000; // 100 ms–60 s at 1 ms

export class Histogram {
  private readonly fine = new Uint32Array(FINE_N);
  private readonly coarse = new Uint32Array(COARSE_N);
  count = 0;
  private sum = 0;
  max = 0;

  /** Record one latency, in milliseconds. */
  add(ms: number): void {
    const v = ms < 0 ? 0 : ms;
    const us = v * 1000;
    if (us < FINE_N * FINE_US) this.fine[Math.floor(us / FINE_US)]!++;
    else this.coarse[Math.min(COARSE_N - 1, Math.floor(v) - 100)]!++;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  /** The p-th percentile (0–100) in milliseconds, or null when empty. */
  percentile(p: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < FINE_N; i++) {
      seen += this.fine[i]!;
      if (seen >= rank) return ((i + 1) * FINE_US) / 1000;
    }
    for (let i = 0; i < COARSE_N; i++) {
      seen += this.coarse[i]!;
      if (seen >= rank) return 100 + i + 1;
    }
    return this.max;
  }

  mean(): number | null {
    return this.count ? this.sum / this.count : null;
  }

  summary(): LatencySummary {
    // To the microsecond: the figures are compared as ratios, and round trips are ~0.1 ms.
    const r = (v: number | null) => round(v, 3);
    return {
      samples: this.count,
      p50: r(this.percentile(50)),
      p90: r(this.percentile(90)),
      p99: r(this.percentile(99)),
      max: r(this.count ? this.max : null),
    };
  }
}

export interface LatencySummary {
  samples: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

export function round(v: number | null, digits = 2): number | null {
  if (v === null || !Number.isFinite(v)) return null;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
