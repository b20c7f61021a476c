/**
 * Deletes as this tab applies them, and disappearing messages: a timer per message with a TTL
 * (on the relay's clock), and a periodic sweep of the cache for frames that ran out while no
 * timer was armed.
 */
import type { RoomStore } from '../store/roomStore.js';
import type { ChatMessage } from './chatState.js';
import type { FrameCache } from './frameCache.js';

/** setTimeout overflows past ~24.8 days, so each firing waits at most an hour and re-arms. */
const TIMER_CAP_MS = 60 * 60 * 1000;
export const SWEEP_INTERVAL_MS = 60_000;

export class Expiry {
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private sweepTimer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly store: RoomStore,
    private readonly cache: Pick<FrameCache, 'tombstone' | 'sweepExpired'>,
    private readonly serverNow: () => number,
  ) {}

  /** Remove a message here and remember its tombstone; idempotent. */
  deleteLocal(id: string, now: number): boolean {
    const s = this.store.getState();
    if (!id || id in s.tombstones) return false;
    s.deleteMessage(id, now);
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
    this.cache.tombstone([id], now);
    return true;
  }

  arm(m: ChatMessage): void {
    if (!m.ttlMs || this.timers.has(m.id)) return;
    const ttl = m.ttlMs;
    const fire = () => {
      const left = m.ts + ttl - this.serverNow();
      if (left <= 0) {
        this.timers.delete(m.id);
        this.deleteLocal(m.id, Date.now());
        return;
      }
      this.timers.set(m.id, setTimeout(fire, Math.min(left, TIMER_CAP_MS)));
    };
    fire();
  }

  startSweeping(): void {
    this.sweepTimer ??= setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
  }

  async sweep(): Promise<void> {
    const now = this.serverNow();
    const gone = await this.cache.sweepExpired(now);
    for (const id of gone) this.deleteLocal(id, now);
  }

  dispose(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  get armed(): number {
    return this.timers.size;
  }
}
