/**
 * The embedded DmInboxes: the RAM-only InboxStore of one node, behind the shared interface.
 */
import type { DmEnvelope } from '../../protocol/index.js';
import { InboxStore } from './inbox.js';
import type { DmDraft, DmFuse, DmInboxes } from './inboxes.js';
import type { DmWaiters } from './waiters.js';

export class MemoryInboxes implements DmInboxes {
  readonly store = new InboxStore();

  async add(
    handle: string,
    draft: DmDraft,
    minSeq: number,
    fuse: DmFuse,
    now: number,
  ): Promise<DmEnvelope | 'fuse' | 'quota'> {
    const room = this.store.makeRoom(draft.ciphertext, fuse, now);
    if (room !== 'ok') return room;
    // One node: the identity record's counter (minSeq) already stays above every earlier seq.
    const env: DmEnvelope = { seq: minSeq, ...draft };
    this.store.add(handle, env, now, fuse.sender);
    return env;
  }

  async since(
    handle: string,
    after: number,
    limit: number,
    now: number,
  ): Promise<{ messages: DmEnvelope[]; hasMore: boolean }> {
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
