/**
 * Sending: every post is sealed here and signed at every attempt when an identity is set; chat
 * text goes through a pending row (sending → sent → gone when its echo arrives, or failed with
 * a retry). Arming the room lock rides on the next chat send.
 */
import { sealText } from '../../../protocol/crypto.js';
import { signRoomPost } from '../../../protocol/identity.js';
import type { RoomStore } from '../store/roomStore.js';
import { describePostError, postRoomMessage, type PostResult } from '../transport/post.js';
import type { ClockSkew } from './clockSkew.js';
import type { SentLog } from './sentLog.js';

export type PostExtra = { reply_to?: string; ttl_ms?: number; signed_only?: true };
/** The network edge: one POST with a body rebuilt per attempt. */
export type PostFn = (roomId: string, buildBody: () => object) => Promise<PostResult>;

export interface OutboxDeps {
  roomId: string;
  key: Uint8Array;
  store: RoomStore;
  clock: Pick<ClockSkew, 'noteSend'>;
  /** Re-read the lock from the relay after a refused lock. */
  refreshStatus: () => Promise<void>;
  /** Records every post's nonce and id, so its echo is known as ours. */
  sent: Pick<SentLog, 'noteSending' | 'noteSent'>;
  postFn?: PostFn;
}

export class Outbox {
  private readonly postFn: PostFn;

  constructor(private readonly d: OutboxDeps) {
    this.postFn = d.postFn ?? postRoomMessage;
  }

  /** Seal and post any plaintext (chat or control envelope). */
  async post(plaintext: string, extra: PostExtra = {}): Promise<PostResult> {
    const sealed = sealText(plaintext, this.d.key);
    this.d.sent.noteSending(sealed.nonce);
    const r = await this.postFn(this.d.roomId, () => {
      const s = this.d.store.getState();
      const body: Record<string, unknown> = { sender: s.me, ...sealed, ...extra };
      // Signed at every attempt: the relay refuses signatures older than 60 s.
      if (s.identity) Object.assign(body, signRoomPost(s.identity, this.d.roomId, sealed.ciphertext));
      return body;
    });
    if (r.ok) this.d.sent.noteSent(sealed.nonce, r.id);
    return r;
  }

  /** Send chat text. The text is not trimmed: leading indentation matters in code. */
  send(text: string): Promise<void> {
    const s = this.d.store.getState();
    const localId = crypto.randomUUID();
    const pending = { localId, text, createdAt: Date.now(), status: 'sending' as const, ...(s.replyTo ? { replyTo: s.replyTo.id } : {}), ...(s.ttlMs ? { ttlMs: s.ttlMs } : {}) };
    s.upsertPending(pending);
    s.setReplyTo(null);
    return this.deliver(localId);
  }

  retry(localId: string): Promise<void> {
    const p = this.d.store.getState().pending.find((x) => x.localId === localId);
    if (!p) return Promise.resolve();
    this.d.store.getState().upsertPending({ ...p, status: 'sending', error: undefined });
    return this.deliver(localId);
  }

  discard(localId: string): void {
    this.d.store.getState().removePending(localId);
  }

  private async deliver(localId: string): Promise<void> {
    const p = this.d.store.getState().pending.find((x) => x.localId === localId);
    if (!p) return;
    const extra: PostExtra = {};
    if (p.replyTo) extra.reply_to = p.replyTo;
    if (p.ttlMs) extra.ttl_ms = p.ttlMs;
    const before = this.d.store.getState();
    // The lock follows the relay's `locked` event, never this send's success (no optimistic flip).
    const locking = before.lockArmed && !!before.identity && !before.locked;
    if (locking) extra.signed_only = true;
    const t0 = Date.now();
    const r = await this.post(p.text, extra);
    if (r.ok) this.d.clock.noteSend(r.id, t0, Date.now());
    const s = this.d.store.getState();
    if (locking) {
      s.setLockArmed(false);
      if (!r.ok) {
        s.toast(`Lock rejected by the relay: ${describePostError(r)}`, 'error');
        void this.d.refreshStatus();
      }
    }
    const cur = s.pending.find((x) => x.localId === localId);
    if (!cur) return;
    if (r.ok) {
      // The echo normally arrives within milliseconds; if it already did, we are done.
      if (s.messages[r.id]) s.removePending(localId);
      else s.upsertPending({ ...cur, status: 'sent', sentId: r.id });
    } else {
      s.upsertPending({ ...cur, status: 'failed', error: describePostError(r) });
    }
  }

  /** A message's echo arrived: its pending row is done. */
  settle(id: string): void {
    const s = this.d.store.getState();
    const mine = s.pending.find((x) => x.sentId === id);
    if (mine) s.removePending(mine.localId);
  }
}
