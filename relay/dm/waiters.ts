import type { DmEnvelope } from '../../protocol/index.js';

export interface DmWaiter {
  after: number;
  /** Called with the new envelopes (seq > after); the waiter answers and is removed. */
  wake(messages: DmEnvelope[]): void;
}

/**
 * Parked inbox long-polls on this node, per handle. Shared by the in-memory and the Redis inbox
 * stores: only where envelopes are stored differs, not how waiters are woken.
 */
export class DmWaiters {
  private readonly byHandle = new Map<string, Set<DmWaiter>>();

  count(handle: string): number {
    return this.byHandle.get(handle)?.size ?? 0;
  }

  has(handle: string): boolean {
    return this.byHandle.has(handle);
  }

  park(handle: string, w: DmWaiter): void {
    let set = this.byHandle.get(handle);
    if (!set) {
      set = new Set();
      this.byHandle.set(handle, set);
    }
    set.add(w);
  }

  unpark(handle: string, w: DmWaiter): void {
    const set = this.byHandle.get(handle);
    if (!set) return;
    set.delete(w);
    if (set.size === 0) this.byHandle.delete(handle);
  }

  /** Wake every waiter for whom `env` is news (its seq is past the waiter's `after`). */
  wake(handle: string, env: DmEnvelope): void {
    const set = this.byHandle.get(handle);
    if (!set) return;
    for (const w of [...set]) {
      if (env.seq <= w.after) continue;
      this.unpark(handle, w);
      w.wake([env]);
    }
  }
}
