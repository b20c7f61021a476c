/**
 * Sending: every post is sealed here and signed at every attempt when an identity is set. Chat
 * text is sealed once, kept sealed in IndexedDB until the relay acknowledges it, and shown as a
 * pending row (sending → sent → gone when its echo arrives; queued while the relay cannot be
 * reached, sent by itself when it can; failed when the relay refused it). A resend carries the
 * same nonce, which the relay answers with the original id, so a lost answer never makes a
 * duplicate. Arming the room lock rides on the next chat send.
 */
import { openText, sealText, type Sealed } from '@protocol/crypto.js';
import { signRoomPost } from '@protocol/identity.js';
import type { RoomStore } from '../store/roomStore.js';
import { describePostError, postRoomMessage, type PostResult } from '../transport/post.js';
import type { ClockSkew } from './clockSkew.js';
import type { SentLog } from './sentLog.js';
import { idbOutboxStore, webLocks, type OutboxStore, type SendLock } from './outboxStore.js';

/** `sender` replaces the current label for one post (an edit goes out under its message's label). */
export type PostExtra = { reply_to?: string; ttl_ms?: number; signed_only?: true; sender?: string };
/** The network edge: one POST with a body rebuilt per attempt. */
export type PostFn = (roomId: string, buildBody: () => object) => Promise<PostResult>;

/** Waits before resending queued posts on their own; the online event and a reconnect skip them. */
export const RESEND_WAITS_MS = [2_000, 5_000, 10_000, 30_000, 60_000];

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
  storage?: OutboxStore;
  lock?: SendLock;
}

/** Worth resending by itself: the relay was unreachable, busy or rate limiting. */
const transient = (r: { status: number }) => r.status === 0 || r.status === 429 || r.status >= 500;

export class Outbox {
  private readonly postFn: PostFn;
  private readonly storage: OutboxStore;
  private readonly lock: SendLock;
  /** The sealed form of each pending chat post. */
  private readonly sealed = new Map<string, Sealed>();
  private readonly inFlight = new Set<string>();
  private waitIndex = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private disposed = false;

  constructor(private readonly d: OutboxDeps) {
    this.postFn = d.postFn ?? postRoomMessage;
    this.storage = d.storage ?? idbOutboxStore;
    this.lock = d.lock ?? webLocks;
  }

  /** Seal and post any plaintext (chat or control envelope). */
  async post(plaintext: string, extra: PostExtra = {}): Promise<PostResult> {
    const sealed = sealText(plaintext, this.d.key);
    this.d.sent.noteSending(sealed.nonce);
    return this.postSealed(sealed, extra);
  }

  private async postSealed(sealed: Sealed, extra: PostExtra): Promise<PostResult> {
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

  /** Posts left unsent by an earlier page of this room: shown as queued, sent once online. */
  async restore(): Promise<void> {
    const recs = await this.storage.load(this.d.roomId).catch(() => []);
    const s = this.d.store.getState();
    for (const rec of recs) {
      if (this.sealed.has(rec.localId)) continue;
      const text = openText(rec, this.d.key);
      if (text === null) {
        void this.storage.delete(rec.localId).catch(() => undefined);
        continue;
      }
      this.sealed.set(rec.localId, { ciphertext: rec.ciphertext, nonce: rec.nonce });
      this.d.sent.noteSending(rec.nonce);
      s.upsertPending({
        localId: rec.localId,
        text,
        createdAt: rec.createdAt,
        status: 'queued',
        nonce: rec.nonce,
        error: 'Waiting for the relay',
        ...(rec.reply_to ? { replyTo: rec.reply_to } : {}),
        ...(rec.ttl_ms ? { ttlMs: rec.ttl_ms } : {}),
      });
    }
  }

  /** Send chat text. The text is not trimmed: leading indentation matters in code. */
  async send(text: string): Promise<void> {
    const s = this.d.store.getState();
    const localId = crypto.randomUUID();
    const sealed = sealText(text, this.d.key);
    this.sealed.set(localId, sealed);
    this.d.sent.noteSending(sealed.nonce);
    const replyTo = s.replyTo?.id;
    const pending = {
      localId,
      text,
      createdAt: Date.now(),
      status: 'sending' as const,
      nonce: sealed.nonce,
      ...(replyTo ? { replyTo } : {}),
      ...(s.ttlMs ? { ttlMs: s.ttlMs } : {}),
    };
    s.upsertPending(pending);
    s.setReplyTo(null);
    // Kept before the first attempt: a tab closed mid-send still has it. A browser without
    // storage still sends, it just cannot keep the post across a reload.
    await this.storage
      .put({
        localId,
        roomId: this.d.roomId,
        createdAt: pending.createdAt,
        ...sealed,
        ...(replyTo ? { reply_to: replyTo } : {}),
        ...(s.ttlMs ? { ttl_ms: s.ttlMs } : {}),
      })
      .catch(() => undefined);
    return this.deliver(localId, true);
  }

  retry(localId: string): Promise<void> {
    const p = this.d.store.getState().pending.find((x) => x.localId === localId);
    if (!p) return Promise.resolve();
    this.d.store.getState().upsertPending({ ...p, status: 'sending', error: undefined });
    return this.deliver(localId, false);
  }

  /** Resend everything queued now (the browser came online, the socket reconnected, a wait ran out). */
  flush(): void {
    if (this.disposed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const p of this.d.store.getState().pending)
      if (p.status === 'queued') void this.deliver(p.localId, false);
  }

  discard(localId: string): void {
    this.d.store.getState().removePending(localId);
    this.sealed.delete(localId);
    void this.storage.delete(localId).catch(() => undefined);
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async deliver(localId: string, first: boolean): Promise<void> {
    const p = this.d.store.getState().pending.find((x) => x.localId === localId);
    const sealed = this.sealed.get(localId);
    if (!p || !sealed || this.inFlight.has(localId)) return;
    this.inFlight.add(localId);
    try {
      await this.deliverOnce(localId, sealed, first);
    } finally {
      this.inFlight.delete(localId);
    }
  }

  private async deliverOnce(localId: string, sealed: Sealed, first: boolean): Promise<void> {
    const p = this.d.store.getState().pending.find((x) => x.localId === localId)!;
    if (p.status !== 'sending')
      this.d.store.getState().upsertPending({ ...p, status: 'sending', error: undefined });
    const extra: PostExtra = {};
    if (p.replyTo) extra.reply_to = p.replyTo;
    if (p.ttlMs) extra.ttl_ms = p.ttlMs;
    const before = this.d.store.getState();
    // The lock follows the relay's `locked` event, never this send's success (no optimistic flip).
    const locking = first && before.lockArmed && !!before.identity && !before.locked;
    if (locking) extra.signed_only = true;
    const t0 = Date.now();
    // One tab at a time per post; a tab that finds it gone from storage knows another sent it.
    const r = await this.lock.run(`bot2bot-outbox:${localId}`, async () => {
      if (!first && !(await this.storage.has(localId).catch(() => true))) return 'gone' as const;
      const res = await this.postSealed(sealed, extra);
      if (res.ok) await this.storage.delete(localId).catch(() => undefined);
      return res;
    });
    const s = this.d.store.getState();
    if (locking) {
      s.setLockArmed(false);
      if (r !== null && r !== 'gone' && !r.ok) {
        s.toast(`Lock rejected by the relay: ${describePostError(r)}`, 'error');
        void this.d.refreshStatus();
      }
    }
    const cur = s.pending.find((x) => x.localId === localId);
    if (r === 'gone') {
      // Sent from another tab: its echo (matched by nonce) takes the row away.
      this.sealed.delete(localId);
      if (cur) s.upsertPending({ ...cur, status: 'sent' });
      return;
    }
    if (r === null) {
      // Another tab holds it right now: look again later.
      if (cur) s.upsertPending({ ...cur, status: 'queued', error: 'Sending from another tab' });
      this.schedule();
      return;
    }
    if (r.ok) {
      this.waitIndex = 0;
      this.d.clock.noteSend(r.id, t0, Date.now());
      this.sealed.delete(localId);
      if (!cur) return;
      // The echo normally arrives within milliseconds; if it already did, we are done.
      if (s.messages[r.id]) s.removePending(localId);
      else s.upsertPending({ ...cur, status: 'sent', sentId: r.id });
      return;
    }
    if (!cur) return;
    if (transient(r)) {
      s.upsertPending({
        ...cur,
        status: 'queued',
        error: `${describePostError(r)} It will be sent when the relay is reachable.`,
      });
      this.schedule();
    } else {
      s.upsertPending({ ...cur, status: 'failed', error: describePostError(r) });
    }
  }

  private schedule(): void {
    if (this.timer || this.disposed) return;
    const wait = RESEND_WAITS_MS[Math.min(this.waitIndex, RESEND_WAITS_MS.length - 1)]!;
    this.waitIndex++;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, wait);
  }

  /** A message's echo arrived: its pending row is done (matched by id, or by nonce when the answer was lost). */
  settle(id: string, nonce?: string): void {
    const s = this.d.store.getState();
    const mine = s.pending.find((x) => x.sentId === id || (nonce !== undefined && x.nonce === nonce));
    if (!mine) return;
    s.removePending(mine.localId);
    this.sealed.delete(mine.localId);
    void this.storage.delete(mine.localId).catch(() => undefined);
  }
}
