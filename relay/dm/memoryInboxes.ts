/**
 * The embedded DmInboxes: the RAM-only InboxStore of one node, behind the shared interface.
 */
import type { DmEnvelope } from '../../protocol/index.js';
import { InboxStore } from './inbox.js';
import type { DmDraft, DmInboxes } from './inboxes.js';
import type { DmWaiters } from './waiters.js';

export class MemoryInboxes implements DmInboxes {
  readonly store = new InboxStore();

  async add(handle: string, draft: DmDraft, minSeq: number, maxBytes: number, now: number): Promise<DmEnvelope | null> {
    if (this.store.wouldOverflow(draft.ciphertext, maxBytes, now)) return null;
    // One node: the identity record's counter (minSeq) already stays above every earlier seq.
    const env: DmEnvelope = { seq: minSeq, ...draft };
    this.store.add(handle, env, now);
    return env;
  }

  async since(handle: string, after: number, limit: number, now: number): Promise<{ messages: DmEnvelope[]; hasMore: boolean }> {
    return this.store.since(handle, after, limit, now);
  }

  async remove(handle: string, id: string): Promise<number> {
    return this.store.remove(handle, id);
  }

  async drop(handle: string): Promise<void> {
    this.store.drop(handle);
  }

  get waiters(): DmWaiters {
    return this.store.waiters;
  }
}
