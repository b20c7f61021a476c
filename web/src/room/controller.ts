/**
 * The room's engine, outside React: cache replay, the socket, decrypt-once classification of
 * every frame, sends with pending/failed states, deletes, reactions, disappearing-message
 * timers and peer history. Components call its methods; it writes to the store and IndexedDB.
 */
import { openText, sealText, keyFingerprint, newBoxKeyPair } from '../../../protocol/crypto.js';
import { classifyPlaintext, deleteEnvelope, historyRequest, historyResponse, reactEnvelope, type HistoryItem } from '../../../protocol/envelopes.js';
import { decodeBase64Loose, encodeBase64Url } from '../../../protocol/base64.js';
import { newIdentity, signRoomPost, type Identity } from '../../../protocol/identity.js';
import { buildAdoptOffer, openAdoptOffer } from '../../../protocol/adopt.js';
import type { AdoptEnvelope } from '../../../protocol/envelopes.js';
import { LIMITS } from '../../../protocol/limits.js';
import type { MessageFrame, ServerFrame } from '../../../protocol/schemas/frames.js';
import { createRoomStore, type RoomStore } from '../store/roomStore.js';
import { RoomSocket } from '../transport/socket.js';
import { describePostError, postRoomMessage, type PostResult } from '../transport/post.js';
import * as db from '../storage/db.js';
import { loadName, loadTtl, saveName, saveTtl, forgetRoomSettings } from '../storage/local.js';
import { adoptIdentity, identityStore } from '../identity/session.js';
import { registerIdentity } from '../identity/api.js';
import { adoptAnswered, recordAdoptAnswer } from '../identity/adoptLog.js';
import type { StorageMode } from '../identity/storage.js';
import { pruneTombstones, type ChatMessage } from './chatState.js';
import { HistoryExchange, ANSWER_DELAY_MAX_MS, buildResponseChunks, itemToMessage } from './peerHistory.js';
import { mentionsMe } from './markdown.js';
import { notifyMention } from './notify.js';
import { ClockSkew } from './clockSkew.js';

const TIMER_CAP_MS = 60 * 60 * 1000;
const SWEEP_INTERVAL_MS = 60_000;

type Frame = Omit<MessageFrame, 'type'> & { restored?: boolean };
type PostExtra = { reply_to?: string; ttl_ms?: number; signed_only?: true };

export class RoomController {
  readonly store: RoomStore;
  private socket: RoomSocket | null = null;
  private readonly seen = new Set<string>();
  private lastSeq = 0;
  private cursorDirty = false;
  private cursorTimer: ReturnType<typeof setTimeout> | null = null;
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private readonly ttlTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Frames before `ready` on each connection are the relay replaying its buffer. */
  private replaying = true;
  private requestedHistory = false;
  private readonly history = new HistoryExchange();
  private readonly boxKeys = newBoxKeyPair();
  private disposed = false;
  private cacheLoaded = 0;
  /** An opened adopt offer awaiting consent; its keys never reach the store or the screen. */
  private pendingAdopt: { adoptId: string; identity: Identity } | null = null;
  private readonly unsubIdentity: () => void;
  /** Expiry runs on the relay's clock: our own echoes tell us how far off this device is. */
  private readonly clock = new ClockSkew();
  /** While replaying the cache, chat messages are collected and inserted in one store update. */
  private batch: Array<{ msg: ChatMessage }> | null = null;

  constructor(
    readonly roomId: string,
    private readonly key: Uint8Array,
    /** `signed`: the link carries signed=1, so a signed user's first message locks the room. */
    private readonly opts: { signed?: boolean } = {},
  ) {
    const identity = identityStore.getState().identity;
    this.store = createRoomStore({ roomId, me: loadName(), identity, ttlMs: loadTtl(roomId), fingerprint: keyFingerprint(key) });
    this.unsubIdentity = identityStore.subscribe((st, prev) => {
      if (st.identity !== prev.identity) this.onIdentityChanged(st.identity);
    });
  }

  /** Sign-in, unlock, adopt or sign-out: switch the name and tell the relay, without reconnecting. */
  private onIdentityChanged(id: Identity | null): void {
    const s = this.store.getState();
    s.setIdentity(id, id ? undefined : loadName());
    this.socket?.sendHello();
    this.maybeArmSignedLink();
  }

  private maybeArmSignedLink(): void {
    const s = this.store.getState();
    if (this.opts.signed && s.identity && s.live && !s.locked) s.setLockArmed(true);
  }

  async start(): Promise<void> {
    performance.mark('room-start');
    const now = Date.now();
    try {
      // One read of everything this room keeps; the reads run side by side.
      const [tomb, stored, room] = await Promise.all([db.loadTombstones(this.roomId), db.loadFrames(this.roomId), db.getRoom(this.roomId)]);
      performance.mark('room-cache-read', { detail: stored.length });
      const pruned = pruneTombstones(tomb, now);
      if (pruned !== tomb) void db.replaceTombstones(this.roomId, pruned).catch(() => undefined);
      const serverNow = this.clock.now();
      const expired = stored.filter((f) => db.isExpiredFrame(f, serverNow)).map((f) => f.id);
      // Expiry counts as a delete: tombstone (which also drops the frame) before replaying.
      if (expired.length) this.persistTombstones(expired, now);
      this.store.getState().setTombstones({ ...pruned, ...Object.fromEntries(expired.map((id) => [id, now])) });
      const frames = expired.length ? stored.filter((f) => !db.isExpiredFrame(f, serverNow)) : stored;
      this.cacheLoaded = frames.length;
      this.batch = [];
      for (const f of frames) this.handleMessage(f, { fromCache: true });
      performance.mark('room-cache-decrypted', { detail: frames.length });
      this.flushBatch();
      this.lastSeq = room?.lastSeq ?? 0;
    } catch {
      this.batch = null;
      this.store.getState().toast('Local history is unavailable in this browser mode; the room still works.', 'info');
    }
    // Marks for the 2,000-message benchmark (e2e/perf.spec.ts); cheap enough to keep.
    this.store.getState().setCacheLoaded(this.cacheLoaded);
    if (this.disposed) return;
    this.socket = new RoomSocket({
      roomId: this.roomId,
      getAfter: () => this.lastSeq,
      hello: () => ({ type: 'hello', name: this.store.getState().me, box_pub: encodeBase64Url(this.boxKeys.publicKey) }),
      onFrame: (f) => this.onFrame(f),
      onStatus: (s, d) => {
        if (s !== 'online') this.replaying = true;
        this.store.getState().setConn(s, d?.retryInMs ?? null);
      },
    });
    this.socket.start();
    this.sweepTimer = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
  }

  dispose(): void {
    this.disposed = true;
    this.unsubIdentity();
    this.pendingAdopt = null;
    this.socket?.stop();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    for (const t of this.ttlTimers.values()) clearTimeout(t);
    this.ttlTimers.clear();
    this.flushCursor();
  }

  /** One store update for the whole cache replay instead of one per message. */
  private flushBatch(): void {
    const batch = this.batch;
    this.batch = null;
    if (!batch?.length) return;
    const s = this.store.getState();
    s.addMessages(batch.map((b) => b.msg), this.clock.now());
    const dead = this.store.getState().tombstones;
    const expired: string[] = [];
    for (const { msg } of batch) {
      if (msg.id in dead) expired.push(msg.id);
      else this.armTtl(msg);
    }
    if (expired.length) this.persistTombstones(expired, Date.now());
  }

  /** The relay's clock as measured from our own posts (for disappearing messages). */
  serverNow(): number {
    return this.clock.now();
  }

  retryConnection(): void {
    this.socket?.retryNow();
  }

  // ---------- incoming ----------

  private onFrame(f: ServerFrame): void {
    const s = this.store.getState();
    switch (f.type) {
      case 'message': {
        const { type: _t, ...frame } = f;
        this.handleMessage(frame, { fromCache: false });
        break;
      }
      case 'ready': {
        this.replaying = false;
        s.setPresence(f.participants);
        if (f.signed_only) s.setLocked(true);
        if (typeof f.last_seq === 'number' && f.last_seq > this.lastSeq && f.last_seq > 0) this.bumpCursor(f.last_seq);
        if (!s.live) s.setLive();
        this.maybeArmSignedLink();
        if (f.gap) s.toast('Some messages expired on the relay while you were away.', 'info');
        // The relay's snapshot is taken before we join, so it lists only the others.
        this.maybeRequestHistory(f.participants.filter((p) => p.name !== s.me).length, !!f.gap || f.last_seq === 0);
        break;
      }
      case 'presence':
        s.setPresence(f.participants);
        break;
      case 'rename':
        if (f.from !== s.me) s.renamePresence(f.from, f.to);
        break;
      case 'locked':
        s.setLocked(true);
        s.toast('This room is now locked to signed @handle senders.', 'info');
        break;
      case 'error':
        if (s.lockArmed && f.error.includes('signed_only')) {
          s.setLockArmed(false);
          s.toast(`Lock rejected by the relay: ${f.error}`, 'error');
          void this.refreshStatus();
          break;
        }
        s.toast(f.code === 429 ? 'The relay is rate limiting this connection.' : `Relay: ${f.error}`, 'error');
        break;
    }
  }

  private handleMessage(f: Frame, opts: { fromCache: boolean }): void {
    if (!opts.fromCache) this.bumpCursor(f.seq);
    if (this.seen.has(f.id)) return;
    this.seen.add(f.id);
    const s = this.store.getState();
    const text = openText(f, this.key);
    if (text === null) {
      s.countUndecryptable();
      return;
    }
    if (f.restored) {
      this.applyRestored(text);
      return;
    }
    const p = classifyPlaintext(text);
    const now = this.clock.now();
    switch (p.kind) {
      case 'chat': {
        if (f.id in s.tombstones) {
          if (opts.fromCache) void db.deleteFrames(this.roomId, [f.id]).catch(() => undefined);
          return;
        }
        const msg: ChatMessage = { id: f.id, seq: f.seq, sender: f.sender, verified: f.sender_verified === true, ts: f.ts, text };
        if (f.ttl_ms) msg.ttlMs = f.ttl_ms;
        if (f.reply_to) msg.replyTo = f.reply_to;
        if (this.batch) {
          this.batch.push({ msg });
          return;
        }
        if (!opts.fromCache && f.sender === s.me) this.clock.noteEcho(f.id, f.ts);
        s.addMessages([msg], now);
        if (msg.id in this.store.getState().tombstones) {
          // It had already expired: addMessages turned it into a tombstone.
          this.persistTombstones([msg.id], now);
          return;
        }
        if (!opts.fromCache) this.persistFrame(f);
        this.armTtl(msg);
        const mine = s.pending.find((x) => x.sentId === f.id);
        if (mine) s.removePending(mine.localId);
        if (!opts.fromCache && !this.replaying && f.sender !== s.me) this.noticeLive(msg);
        return;
      }
      case 'delete':
        this.applyDeleteLocal(p.envelope.target_id, now);
        return;
      case 'react':
        if (!f.sender) return;
        s.react(f.sender, p.envelope, now);
        if (!opts.fromCache) this.persistFrame(f);
        return;
      case 'hist_req':
        if (!opts.fromCache) this.maybeAnswer(f, p.envelope.req_id, now);
        return;
      case 'hist_resp':
        if (f.sender_verified) this.history.noteResponse(p.envelope.req_id);
        if (!opts.fromCache && this.history.accepts(f, p.envelope, now)) this.applyHistory(p.envelope.items, p.envelope.deleted ?? [], now);
        return;
      case 'adopt':
        // Consumed before any render or cache write, whoever it is for (reference-client.md §3.9).
        this.considerAdopt(f, p.envelope);
        return;
      default:
        // Malformed adopt offers, legacy and future markers: never rendered.
        return;
    }
  }

  private noticeLive(msg: ChatMessage): void {
    const s = this.store.getState();
    const mention = mentionsMe(msg.text, s.me);
    const away = document.visibilityState !== 'visible' || !document.hasFocus();
    // Counted only while nobody is looking; focus or a visible tab clears the count again.
    if (away) s.bumpUnread(mention);
    if (mention) notifyMention(s.me, msg.sender, msg.text);
    const flat = msg.text.replace(/\s+/g, ' ').trim();
    s.announce(`${mention ? 'Mention from' : 'New message from'} ${msg.sender}: ${flat.length > 200 ? `${flat.slice(0, 200)}…` : flat}`);
  }

  // ---------- persistence ----------

  private persistFrame(f: Frame): void {
    const rec: db.StoredFrame = {
      roomId: this.roomId,
      id: f.id,
      seq: f.seq,
      sender: f.sender,
      sender_verified: f.sender_verified === true,
      ciphertext: f.ciphertext,
      nonce: f.nonce,
      ts: f.ts,
    };
    if (f.ttl_ms) rec.ttl_ms = f.ttl_ms;
    if (f.reply_to) rec.reply_to = f.reply_to;
    if (f.restored) rec.restored = true;
    void db.putFrames([rec]).catch(() => undefined);
  }

  private persistTombstones(ids: string[], now: number): void {
    void db.putTombstones(this.roomId, Object.fromEntries(ids.map((id) => [id, now]))).catch(() => undefined);
  }

  private bumpCursor(seq: number): void {
    if (seq <= this.lastSeq) return;
    this.lastSeq = seq;
    this.cursorDirty = true;
    this.cursorTimer ??= setTimeout(() => this.flushCursor(), 500);
  }

  private flushCursor(): void {
    if (this.cursorTimer) clearTimeout(this.cursorTimer);
    this.cursorTimer = null;
    if (!this.cursorDirty) return;
    this.cursorDirty = false;
    void db.putRoom({ roomId: this.roomId, lastSeq: this.lastSeq, openedAt: Date.now() }).catch(() => undefined);
  }

  private async sweep(): Promise<void> {
    const now = this.clock.now();
    const gone = await db.sweepExpired(this.roomId, now).catch(() => [] as string[]);
    for (const id of gone) this.applyDeleteLocal(id, now);
  }

  // ---------- deletes and disappearing messages ----------

  private applyDeleteLocal(id: string, now: number): void {
    const s = this.store.getState();
    if (!id || id in s.tombstones) return;
    s.deleteMessage(id, now);
    const t = this.ttlTimers.get(id);
    if (t) clearTimeout(t);
    this.ttlTimers.delete(id);
    this.persistTombstones([id], now);
  }

  /** setTimeout overflows past ~24.8 days, so each firing waits at most an hour and re-arms. */
  private armTtl(m: ChatMessage): void {
    if (!m.ttlMs || this.ttlTimers.has(m.id)) return;
    const fire = () => {
      const left = m.ts + m.ttlMs! - this.clock.now();
      if (left <= 0) {
        this.ttlTimers.delete(m.id);
        this.applyDeleteLocal(m.id, Date.now());
        return;
      }
      this.ttlTimers.set(m.id, setTimeout(fire, Math.min(left, TIMER_CAP_MS)));
    };
    fire();
  }

  // ---------- sending ----------

  private async post(plaintext: string, extra: PostExtra = {}): Promise<PostResult> {
    const sealed = sealText(plaintext, this.key);
    return postRoomMessage(this.roomId, () => {
      const s = this.store.getState();
      const body: Record<string, unknown> = { sender: s.me, ...sealed, ...extra };
      // Signed at every attempt: the relay refuses signatures older than 60 s.
      if (s.identity) Object.assign(body, signRoomPost(s.identity, this.roomId, sealed.ciphertext));
      return body;
    });
  }

  /** Send chat text. The text is not trimmed: leading indentation matters in code. */
  send(text: string): void {
    const s = this.store.getState();
    const localId = crypto.randomUUID();
    const pending = { localId, text, createdAt: Date.now(), status: 'sending' as const, ...(s.replyTo ? { replyTo: s.replyTo.id } : {}), ...(s.ttlMs ? { ttlMs: s.ttlMs } : {}) };
    s.upsertPending(pending);
    s.setReplyTo(null);
    void this.deliver(localId);
  }

  retrySend(localId: string): void {
    const p = this.store.getState().pending.find((x) => x.localId === localId);
    if (!p) return;
    this.store.getState().upsertPending({ ...p, status: 'sending', error: undefined });
    void this.deliver(localId);
  }

  discardPending(localId: string): void {
    this.store.getState().removePending(localId);
  }

  private async deliver(localId: string): Promise<void> {
    const p = this.store.getState().pending.find((x) => x.localId === localId);
    if (!p) return;
    const extra: PostExtra = {};
    if (p.replyTo) extra.reply_to = p.replyTo;
    if (p.ttlMs) extra.ttl_ms = p.ttlMs;
    const before = this.store.getState();
    // The lock follows the relay's `locked` event, never this send's success (no optimistic flip).
    const locking = before.lockArmed && !!before.identity && !before.locked;
    if (locking) extra.signed_only = true;
    const t0 = Date.now();
    const r = await this.post(p.text, extra);
    if (r.ok) this.clock.noteSend(r.id, t0, Date.now());
    const s = this.store.getState();
    if (locking) {
      s.setLockArmed(false);
      if (!r.ok) {
        s.toast(`Lock rejected by the relay: ${describePostError(r)}`, 'error');
        void this.refreshStatus();
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

  /** Delete for everyone: local at once, then the envelope (anyone with the link may do this). */
  async deleteForEveryone(id: string): Promise<void> {
    const s = this.store.getState();
    const seq = s.messages[id]?.seq;
    this.applyDeleteLocal(id, Date.now());
    const r = await this.post(deleteEnvelope(id, seq));
    if (!r.ok) s.toast(`The delete did not reach the relay: ${describePostError(r)} It is hidden only here.`, 'error');
  }

  async toggleReaction(targetId: string, emoji: string): Promise<void> {
    const s = this.store.getState();
    const mine = s.reactions[targetId]?.[emoji]?.includes(s.me) ?? false;
    const op = mine ? 'remove' : 'add';
    s.react(s.me, { target_id: targetId, emoji, op });
    const r = await this.post(reactEnvelope(targetId, emoji, op));
    if (!r.ok) {
      s.react(s.me, { target_id: targetId, emoji, op: mine ? 'add' : 'remove' });
      s.toast(`Reaction not sent: ${describePostError(r)}`, 'error');
    }
  }

  // ---------- identity: lock, promote, adopt ----------

  /** Re-read the lock from the relay (after a refused lock, for instance). */
  async refreshStatus(): Promise<void> {
    try {
      const res = await fetch(`/api/rooms/${encodeURIComponent(this.roomId)}/status`, { cache: 'no-store', credentials: 'omit' });
      const body = (await res.json()) as { signed_only?: unknown };
      if (body.signed_only === true) this.store.getState().setLocked(true);
    } catch {
      // Offline: the next `ready` brings the state anyway.
    }
  }

  /**
   * Promote an anonymous participant: mint and register a fresh identity here, seal it to the
   * target's presence key and post the offer, signed, without reply or timer (§3.9, §8.2 #18).
   */
  async promote(targetName: string, boxPub: string, handle: string): Promise<{ ok: true } | { ok: false; error: string }> {
    const s = this.store.getState();
    if (!s.identity) return { ok: false, error: 'Sign in first: only signed operators can promote, and the target accepts offers only from them.' };
    const pub = decodeBase64Loose(boxPub);
    if (!pub || pub.length !== 32) return { ok: false, error: `${targetName} advertises a malformed key, so it cannot be promoted.` };
    const fresh = newIdentity(handle);
    const reg = await registerIdentity(fresh);
    if (!reg.ok) return { ok: false, error: reg.message };
    const r = await this.post(buildAdoptOffer(fresh, targetName, pub));
    if (!r.ok) return { ok: false, error: `The offer was not sent: ${describePostError(r)}` };
    this.store.getState().toast(`Adopt offer sent to ${targetName}`);
    return { ok: true };
  }

  private considerAdopt(f: Frame, env: AdoptEnvelope): void {
    const s = this.store.getState();
    if (env.target_name !== s.me || adoptAnswered(env.adopt_id) || this.pendingAdopt) return;
    if (f.sender_verified !== true) {
      console.warn(`Ignored an adopt offer from unverified sender "${f.sender}"`);
      return;
    }
    const identity = openAdoptOffer(env, this.boxKeys.secretKey);
    if (!identity) return;
    this.pendingAdopt = { adoptId: env.adopt_id, identity };
    s.setAdoptOffer({ adoptId: env.adopt_id, handle: identity.handle, from: f.sender });
  }

  async acceptAdopt(mode: StorageMode): Promise<void> {
    const p = this.pendingAdopt;
    if (!p) return;
    await adoptIdentity(p.identity, mode);
    recordAdoptAnswer(p.adoptId);
    this.pendingAdopt = null;
    const s = this.store.getState();
    s.setAdoptOffer(null);
    s.toast(`You are now @${p.identity.handle}; your messages are signed.`);
  }

  declineAdopt(): void {
    if (this.pendingAdopt) recordAdoptAnswer(this.pendingAdopt.adoptId);
    this.pendingAdopt = null;
    this.store.getState().setAdoptOffer(null);
  }

  // ---------- settings ----------

  rename(name: string): void {
    const s = this.store.getState();
    if (s.identity || name === s.me) return;
    saveName(name);
    s.setMe(name);
    // `hello` without box_pub renames and keeps our key on the relay.
    this.socket?.sendHello();
  }

  setTtl(ms: number): void {
    saveTtl(this.roomId, ms);
    this.store.getState().setTtl(ms);
  }

  async forget(): Promise<void> {
    this.dispose();
    forgetRoomSettings(this.roomId);
    await db.forgetRoom(this.roomId).catch(() => undefined);
  }

  // ---------- peer history ----------

  private maybeRequestHistory(others: number, relayLacks: boolean): void {
    const s = this.store.getState();
    // Only verified peers' answers count and they only answer verified requesters; someone
    // else must be present; and only when the relay cannot supply the history itself.
    if (this.requestedHistory || !s.identity || others < 1 || !relayLacks) return;
    this.requestedHistory = true;
    const reqId = crypto.randomUUID();
    this.history.trackOwnRequest(reqId, this.clock.now());
    void this.post(historyRequest(reqId, 0));
  }

  private maybeAnswer(f: Frame, reqId: string, now: number): void {
    const s = this.store.getState();
    if (!s.identity) return;
    const d = this.history.decide(f, { bot2bot_hist_req_v1: true, req_id: reqId, after: 0 }, { live: !this.replaying, now });
    if (!d.answer) return;
    setTimeout(() => void this.answer(reqId, f.sender), Math.random() * ANSWER_DELAY_MAX_MS);
  }

  private async answer(reqId: string, requester: string): Promise<void> {
    if (this.disposed || !this.history.commit(reqId, requester, this.clock.now())) return;
    const s = this.store.getState();
    const msgs = s.order.map((id) => s.messages[id]!).filter(Boolean);
    const chunks = buildResponseChunks(reqId, msgs, s.reactions, s.tombstones, this.clock.now());
    for (const c of chunks) {
      await this.post(historyResponse(c));
      await new Promise((r) => setTimeout(r, 60));
    }
  }

  private applyHistory(items: HistoryItem[], deleted: string[], now: number): void {
    // Deletes first, so a deleted item never flashes onto the screen.
    for (const id of deleted) if (typeof id === 'string' && id) this.applyDeleteLocal(id, now);
    const s = this.store.getState();
    const fresh = items.filter((i) => !s.messages[i.id] && !(i.id in s.tombstones) && !this.seen.has(i.id));
    for (const i of fresh) {
      this.seen.add(i.id);
      const msg = itemToMessage(i);
      s.addMessages([msg], now);
      if (i.reactions) s.mergeReactions(i.id, i.reactions, now);
      this.armTtl(msg);
      const sealed = sealText(JSON.stringify(i), this.key);
      this.persistFrame({ id: i.id, seq: i.seq, sender: i.sender, sender_verified: false, ts: i.ts, ...sealed, ...(i.ttl_ms ? { ttl_ms: i.ttl_ms } : {}), ...(i.reply_to ? { reply_to: i.reply_to } : {}), restored: true });
    }
    if (fresh.length) s.toast(`Restored ${fresh.length} older message${fresh.length === 1 ? '' : 's'} from a peer`, 'info');
  }

  private applyRestored(text: string): void {
    let item: HistoryItem;
    try {
      item = JSON.parse(text) as HistoryItem;
    } catch {
      return;
    }
    if (typeof item?.id !== 'string' || typeof item.seq !== 'number' || typeof item.text !== 'string') return;
    const s = this.store.getState();
    const msg = itemToMessage(item);
    if (this.batch) {
      this.batch.push({ msg });
      if (item.reactions) s.mergeReactions(item.id, item.reactions);
      return;
    }
    s.addMessages([msg], this.clock.now());
    if (item.reactions) s.mergeReactions(item.id, item.reactions);
    this.armTtl(msg);
  }

  get cachedCount(): number {
    return this.cacheLoaded;
  }

  get plaintextLimit(): number {
    return LIMITS.plaintextBytes;
  }
}
