/**
 * DM inboxes (reference-relay.md §5.5): RAM only, never written anywhere. Per handle at most
 * 256 envelopes of which 32 unverified, 7-day TTL, and a global byte fuse. Reading does not
 * remove; only TTL, the caps and an owner's DELETE do.
 */
import { LIMITS, type DmEnvelope } from '../../protocol/index.js';
import { AddressLedger } from '../limits/addressLedger.js';
import type { DmFuse } from './inboxes.js';
import { DmWaiters } from './waiters.js';

interface Stored {
  env: DmEnvelope;
  bytes: number;
  /** The sending address's id in the sender ledger (-1: none). */
  sender: number;
}

/**
 * When a DM would pass the fuse, the address holding the most yields its oldest envelopes until
 * the store is back under this fraction of the fuse: the scan then runs once per many sends.
 */
const FUSE_LOW_WATER = 0.9;

/** How often a DM operation may trigger a full TTL sweep (the store has no timers of its own). */
const SWEEP_INTERVAL_MS = 60_000;

export class InboxStore {
  private readonly inboxes = new Map<string, Stored[]>();
  readonly waiters = new DmWaiters();
  private bytes = 0;
  private lastSweep = 0;
  /** Bytes in inboxes per sending address. */
  private readonly senders = new AddressLedger();

  get totalBytes(): number {
    return this.bytes;
  }

  /** The charge for an envelope: its ciphertext length plus the fixed overhead. */
  static cost(ciphertext: string): number {
    return ciphertext.length + LIMITS.messageOverheadBytes;
  }

  /** What the sending address holds in inboxes now. */
  bytesFrom(sender: string): number {
    return this.senders.amountOf(sender);
  }

  /**
   * Whether an envelope of `ciphertext` may be added: `quota` when its sender's address holds
   * its share already. At the fuse, the address holding the most gives up its oldest envelopes
   * (the sender itself, when that is who filled it), so a few addresses cannot refuse every DM
   * for the whole inbox TTL. `fuse` only when a single envelope is more than the fuse can take.
   */
  makeRoom(ciphertext: string, fuse: DmFuse, now: number): 'ok' | 'fuse' | 'quota' {
    this.maybeSweep(now);
    const cost = InboxStore.cost(ciphertext);
    if (this.senders.amountOf(fuse.sender) + cost > fuse.perSenderBytes) return 'quota';
    if (this.bytes + cost <= fuse.maxBytes) return 'ok';
    if (cost > fuse.maxBytes) return 'fuse';
    const goal = Math.floor(fuse.maxBytes * FUSE_LOW_WATER) - cost;
    while (this.bytes > goal) {
      const top = this.senders.largest();
      if (!top || !this.dropOldestFrom(top.key, this.bytes - goal)) break;
    }
    return this.bytes + cost <= fuse.maxBytes ? 'ok' : 'fuse';
  }

  add(handle: string, env: DmEnvelope, now: number, sender?: string): void {
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
    box.push({ env, bytes, sender: sender === undefined ? -1 : this.senders.charge(sender, bytes) });
    this.bytes += bytes;
    this.waiters.wake(handle, env);
  }

  /** Envelopes with seq > after, oldest first, up to `limit`, and whether more remain. */
  since(
    handle: string,
    after: number,
    limit: number,
    now: number,
  ): { messages: DmEnvelope[]; hasMore: boolean } {
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
        this.forget(box[i]!);
        box.splice(i, 1);
        removed++;
      }
    }
    if (box.length === 0) this.inboxes.delete(handle);
    return removed;
  }

  /** Forget a handle's inbox entirely (its identity was garbage-collected). */
  drop(handle: string): void {
    for (const s of this.inboxes.get(handle) ?? []) this.forget(s);
    this.inboxes.delete(handle);
  }

  private forget(s: Stored): void {
    this.bytes -= s.bytes;
    this.senders.release(s.sender, s.bytes);
  }

  /**
   * Drop the oldest envelopes `sender` holds, across every inbox, until `bytes` are freed or it
   * holds none. A scan of every envelope, run only at the fuse. False when nothing went.
   */
  private dropOldestFrom(sender: string, bytes: number): boolean {
    const id = this.senders.idOf(sender);
    const theirs: Array<{ handle: string; s: Stored }> = [];
    if (id >= 0)
      for (const [handle, box] of this.inboxes)
        for (const s of box) if (s.sender === id) theirs.push({ handle, s });
    if (theirs.length === 0) return false;
    theirs.sort((a, b) => a.s.env.ts - b.s.env.ts);
    let freed = 0;
    const gone = new Set<Stored>();
    for (const t of theirs) {
      if (freed >= bytes) break;
      freed += t.s.bytes;
      gone.add(t.s);
    }
    for (const [handle, box] of this.inboxes) {
      const kept = box.filter((s) => !gone.has(s));
      if (kept.length === box.length) continue;
      for (const s of box) if (gone.has(s)) this.forget(s);
      if (kept.length === 0 && !this.waiters.has(handle)) this.inboxes.delete(handle);
      else this.inboxes.set(handle, kept);
    }
    return true;
  }

  private evictOldest(box: Stored[], which: (s: Stored) => boolean): boolean {
    const i = box.findIndex(which);
    if (i < 0) return false;
    this.forget(box[i]!);
    box.splice(i, 1);
    return true;
  }

  private prune(handle: string, now: number): Stored[] | undefined {
    this.maybeSweep(now);
    const box = this.inboxes.get(handle);
    if (!box) return undefined;
    const cutoff = now - LIMITS.dmTtlMs;
    while (box.length > 0 && box[0]!.env.ts <= cutoff) this.forget(box.shift()!);
    return box;
  }

  private maybeSweep(now: number): void {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    const cutoff = now - LIMITS.dmTtlMs;
    for (const [h, box] of this.inboxes) {
      while (box.length > 0 && box[0]!.env.ts <= cutoff) this.forget(box.shift()!);
      if (box.length === 0 && !this.waiters.has(h)) this.inboxes.delete(h);
    }
  }
}
