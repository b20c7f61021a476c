/**
 * DM inboxes behind an interface, like rooms (relay/rooms/types.ts): one node keeps them in its
 * memory (memoryInboxes.ts), a cluster keeps them in Redis (redisInboxes.ts) so that a DM sent
 * through one node reaches a long-poll parked on another. Parked waiters are always node-local.
 */
import type { DmEnvelope } from '../../protocol/index.js';
import type { DmWaiter, DmWaiters } from './waiters.js';

export type { DmWaiter };

/** An envelope before the inbox gives it a seq. */
export type DmDraft = Omit<DmEnvelope, 'seq'>;

/** The global DM byte fuse, and the share of it one sending address may hold. */
export interface DmFuse {
  maxBytes: number;
  perSenderBytes: number;
  /** The sending client's address key. */
  sender: string;
}

export interface DmInboxes {
  /**
   * Store an envelope under a seq that is at least `minSeq` and above every seq this inbox gave
   * before, applying the per-inbox caps, and wake the handle's waiters on every node. `fuse`
   * when the global byte fuse would blow, `quota` when the sender's address used its share.
   */
  add(
    handle: string,
    draft: DmDraft,
    minSeq: number,
    fuse: DmFuse,
    now: number,
  ): Promise<DmEnvelope | 'fuse' | 'quota'>;
  /** Envelopes with seq > after, oldest first, up to `limit`, and whether more remain. */
  since(
    handle: string,
    after: number,
    limit: number,
    now: number,
  ): Promise<{ messages: DmEnvelope[]; hasMore: boolean }>;
  remove(handle: string, id: string): Promise<number>;
  /** Forget a handle's inbox entirely (its identity was removed). */
  drop(handle: string): Promise<void>;
  /** This node's parked inbox long-polls. */
  readonly waiters: DmWaiters;
}
