/**
 * Where unsent posts wait (IndexedDB, sealed) and how tabs agree on who sends one: a Web Lock
 * per post, so two tabs of the same room never post the same item at the same time (the relay
 * would answer the second with the first's id anyway; the lock saves the request).
 */
import * as db from '../storage/db.js';

export interface OutboxStore {
  load(roomId: string): Promise<db.OutboxRecord[]>;
  has(localId: string): Promise<boolean>;
  put(rec: db.OutboxRecord): Promise<void>;
  delete(localId: string): Promise<void>;
}

export const idbOutboxStore: OutboxStore = {
  load: db.loadOutbox,
  has: async (localId) => (await db.getOutbox(localId)) !== undefined,
  put: db.putOutbox,
  delete: db.deleteOutbox,
};

/** Runs `fn` holding the named lock, or answers null at once when another tab holds it. */
export interface SendLock {
  run<T>(name: string, fn: () => Promise<T>): Promise<T | null>;
}

export const webLocks: SendLock = {
  run<T>(name: string, fn: () => Promise<T>): Promise<T | null> {
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    // Without Web Locks (old browsers, tests) the relay's nonce check still prevents a duplicate.
    if (!locks) return fn();
    return locks.request(name, { ifAvailable: true }, (lock) => (lock ? fn() : null)) as Promise<T | null>;
  },
};

/** For tests and browsers without storage: unsent posts live as long as the page. */
export function memoryOutboxStore(): OutboxStore & { recs: Map<string, db.OutboxRecord> } {
  const recs = new Map<string, db.OutboxRecord>();
  return {
    recs,
    load: async (roomId) =>
      [...recs.values()].filter((r) => r.roomId === roomId).sort((a, b) => a.createdAt - b.createdAt),
    has: async (id) => recs.has(id),
    put: async (r) => void recs.set(r.localId, r),
    delete: async (id) => void recs.delete(id),
  };
}
