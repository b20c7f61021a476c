/**
 * What one WebSocket may send: a token bucket per kind of inbound frame, and a bucket of strikes.
 * A frame over its kind's budget is not acted on (the client gets a 429 error frame) and costs
 * a strike; a socket out of strikes is abusing the relay and is closed with 1008. A client that
 * overshoots now and then never runs out: strikes refill too.
 *
 * Idle sockets are most of a relay's memory, so a socket's buckets are one typed array
 * (tokens and time per bucket), not an object per bucket.
 */
import type { RelayLimits } from '../config.js';
import type { BucketSpec } from '../limits/rateLimit.js';

/** `invalid`: text that is not a JSON object. Any other object is a post (reference §2.3). */
export type FrameKind = 'hello' | 'listening' | 'post' | 'invalid';

/** Strikes come back at this pace, so only a sustained excess closes a socket. */
const STRIKE_REFILL_PER_S = 1;

const SLOT: Record<FrameKind | 'strike', number> = { hello: 0, listening: 1, post: 2, invalid: 3, strike: 4 };

export type FrameBudgetSpecs = Record<FrameKind | 'strike', BucketSpec>;

export function frameBudgetSpecs(l: RelayLimits): FrameBudgetSpecs {
  return {
    hello: { capacity: l.wsHelloCap, refillPerS: l.wsHelloRefillPerS },
    listening: { capacity: l.wsListeningCap, refillPerS: l.wsListeningRefillPerS },
    post: { capacity: l.wsPostCap, refillPerS: l.wsPostRefillPerS },
    invalid: { capacity: l.wsInvalidCap, refillPerS: l.wsInvalidRefillPerS },
    strike: { capacity: l.wsStrikes, refillPerS: STRIKE_REFILL_PER_S },
  };
}

export type Verdict = 'ok' | 'over' | 'abuse';

export class FrameBudget {
  /** [tokens, last refill time] per slot; a new bucket is full. */
  private readonly b = new Float64Array(10);

  constructor(
    private readonly specs: FrameBudgetSpecs,
    now: number,
  ) {
    for (const [k, slot] of Object.entries(SLOT)) {
      this.b[2 * slot] = specs[k as FrameKind | 'strike'].capacity;
      this.b[2 * slot + 1] = now;
    }
  }

  /** Take one token for a frame of this kind: `over` refuses it, `abuse` means close the socket. */
  take(kind: FrameKind, now: number): Verdict {
    if (this.takeSlot(SLOT[kind], this.specs[kind], now)) return 'ok';
    return this.takeSlot(SLOT.strike, this.specs.strike, now) ? 'over' : 'abuse';
  }

  private takeSlot(slot: number, spec: BucketSpec, now: number): boolean {
    const i = 2 * slot;
    let tokens = this.b[i]!;
    const at = this.b[i + 1]!;
    // A wall clock stepping back must neither drain a bucket nor stall its refill.
    if (now > at) tokens = Math.min(spec.capacity, tokens + ((now - at) / 1000) * spec.refillPerS);
    this.b[i + 1] = now;
    if (tokens < 1) {
      this.b[i] = tokens;
      return false;
    }
    this.b[i] = tokens - 1;
    return true;
  }
}
