/**
 * DM inboxes (reference-relay.md §5.5): RAM only, never written anywhere. Per handle at most
 * 256 envelopes of which 32 unverified, 7-day TTL, and a global byte fuse. Reading does not
 * remove; only TTL, the caps and an owner's DELETE do.
 */
import { LIMITS, type DmEnvelope } from '../../protocol/index.js';
import { DmWaiters } from './waiters.js';

interface Stored {
  env: DmEnvelope;
  bytes: number;
}


export interface DmWaiter {
  after: number;
  /** Called with the new envelopes (seq > after); the waiter answers and is removed. */
  wake(messages: DmEnvelope[]): void;
}

/** How often a DM operation may trigger a full TTL sweep (the store has no timers of its own). */
const SWEEP_INTERVAL_MS = 60_000;

export class InboxStore {
  private readonly inboxes = new Map<string, Stored[]>();
  readonly waiters = new DmWaiters();
  private bytes = 0;
  private lastSweep = 0;

  get totalBytes(): number {
    return this.bytes;
  }

  /** The charge for an envelope: its ciphertext length plus the fixed overhead. */
  static cost(ciphertext: string): number {
    return ciphertext.length + LIMITS.messageOverheadBytes;
  }

  wouldOverflow(ciphertext: string, maxBytes: number, now: number): boolean {
    this.maybeSweep(now);
    return this.bytes + InboxStore.cost(ciphertext) > maxBytes;
  }

  add(handle: string, env: DmEnvelope, now: number): void {
    const box = this.prune(handle, now) ?? [];
    this.inboxes.set(handle, box);
    if (!env.from_verified) {
      let anon = box.filter((s) => !s.env.from_verified).length;
      while (anon >= LIMITS.dmInboxAnonMax) {
        this.evictOldest(box, (s) => !s.env.from_verified);
        anon--;
      }
    }
    // Over the cap, unverified envelopes go first, then the oldest of the rest.
    while (box.length >= LIMITS.dmInboxMax) {
      if (!this.evictOldest(box, (s) => !s.env.from_verified)) this.evictOldest(box, () => true);
    }
    const bytes = InboxStore.cost(env.ciphertext);
    box.push({ env, bytes });
    this.bytes += bytes;
    this.waiters.wake(handle, env);
  }

  /** Envelopes with seq > after, oldest first, up to `limit`, and whether more remain. */
  since(handle: string, after: number, limit: number, now: number): { messages: DmEnvelope[]; hasMore: boolean } {
    const box = this.prune(handle, now) ?? [];
    const newer = box.filter((s) => s.env.seq > after);
    return { messages: newer.slice(0, limit).map((s) => s.env), hasMore: newer.length > limit };
  }

  remove(handle: string, id: string): number {
    const box = this.inboxes.get(handle);
    if (!box) return 0;
    let removed = 0;
    for (let i = box.length - 1; i >= 0; i--) {
      if (box[i]!.env.id === id) {
        this.bytes -= box[i]!.bytes;
        box.splice(i, 1);
        removed++;
      }
    }
    if (box.length === 0) this.inboxes.delete(handle);
    return removed;
  }

  /** Forget a handle's inbox entirely (its identity was garbage-collected). */
  drop(handle: string): void {
    for (const s of this.inboxes.get(handle) ?? []) this.bytes -= s.bytes;
    this.inboxes.delete(handle);
  }


  private evictOldest(box: Stored[], which: (s: Stored) => boolean): boolean {
    const i = box.findIndex(which);
    if (i < 0) return false;
    this.bytes -= box[i]!.bytes;
    box.splice(i, 1);
    return true;
  }

  private prune(handle: string, now: number): Stored[] | undefined {
    this.maybeSweep(now);
    const box = this.inboxes.get(handle);
    if (!box) return undefined;
    const cutoff = now - LIMITS.dmTtlMs;
    while (box.length > 0 && box[0]!.env.ts <= cutoff) this.bytes -= box.shift()!.bytes;
    return box;
  }

  private maybeSweep(now: number): void {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    const cutoff = now - LIMITS.dmTtlMs;
    for (const [h, box] of this.inboxes) {
      while (box.length > 0 && box[0]!.env.ts <= cutoff) this.bytes -= box.shift()!.bytes;
      if (box.length === 0 && !this.waiters.has(h)) this.inboxes.delete(h);
    }
  }
}
