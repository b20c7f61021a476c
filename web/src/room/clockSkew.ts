/**
 * Disappearing-message expiry compares the relay's `ts` with this device's clock, so a clock
 * that is minutes off would expire messages minutes early or late (reference-client.md §3.7).
 * We measure the offset from our own posts: the relay stamps `ts` while our POST is in flight,
 * so it lies between the local send and reply times; the midpoint is the estimate and half the
 * round trip bounds the error. The median of recent samples resists one slow request, and the
 * last value is remembered so a reload starts corrected.
 */
const STORAGE_KEY = 'bot2bot:clock-offset';
const MAX_RTT_MS = 5_000;
const SAMPLES = 7;

export class ClockSkew {
  private readonly sends = new Map<string, { t0: number; t1: number }>();
  private readonly echoes = new Map<string, number>();
  private readonly samples: number[] = [];
  private offset: number;

  constructor(private readonly storage: Pick<Storage, 'getItem' | 'setItem'> | null = safeStorage()) {
    const saved = Number(storage?.getItem(STORAGE_KEY));
    this.offset = Number.isFinite(saved) ? saved : 0;
  }

  /** Server time minus local time, in ms (positive: this device is behind). */
  get offsetMs(): number {
    return this.offset;
  }

  /** The relay's clock as best we know it. */
  now(local: number = Date.now()): number {
    return local + this.offset;
  }

  /** Our POST for message `id` left at t0 and was answered at t1 (local clock). */
  noteSend(id: string, t0: number, t1: number): void {
    if (t1 - t0 > MAX_RTT_MS || t1 < t0) return;
    const ts = this.echoes.get(id);
    if (ts !== undefined) {
      this.echoes.delete(id);
      this.addSample(ts - (t0 + t1) / 2);
    } else {
      this.sends.set(id, { t0, t1 });
      trim(this.sends);
    }
  }

  /** The relay's frame for our own message `id` arrived, stamped `ts`. */
  noteEcho(id: string, ts: number): void {
    const s = this.sends.get(id);
    if (s) {
      this.sends.delete(id);
      this.addSample(ts - (s.t0 + s.t1) / 2);
    } else {
      this.echoes.set(id, ts);
      trim(this.echoes);
    }
  }

  private addSample(v: number): void {
    this.samples.push(v);
    if (this.samples.length > SAMPLES) this.samples.shift();
    const sorted = [...this.samples].sort((a, b) => a - b);
    this.offset = Math.round(sorted[sorted.length >> 1]!);
    try {
      this.storage?.setItem(STORAGE_KEY, String(this.offset));
    } catch {
      // Storage full or blocked: the in-memory value still applies.
    }
  }
}

function trim(m: Map<string, unknown>): void {
  while (m.size > 50) m.delete(m.keys().next().value as string);
}

function safeStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}
