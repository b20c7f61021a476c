/**
 * The room's engine, outside React: it builds the room's parts (cache, incoming frames, outbox,
 * expiry, peer history, adoption, settings), wires them to the socket and the store, and gives
 * components one object to call.
 */
import { keyFingerprint, newBoxKeyPair } from '@protocol/crypto.js';
import { deleteEnvelope, reactEnvelope } from '@protocol/envelopes.js';
import { encodeBase64Url } from '@protocol/base64.js';
import type { Identity } from '@protocol/identity.js';
import { LIMITS } from '@protocol/limits.js';
import { RoomStatus } from '@protocol/schemas/room.js';
import { WEB_CLIENT } from '@protocol/schemas/frames.js';
import { createRoomStore, type RoomStore } from '../store/roomStore.js';
import { RoomSocket } from '../transport/socket.js';
import { describePostError } from '../transport/post.js';
import { loadName, loadTtl, watchName } from '../storage/local.js';
import { identityStore } from '../identity/session.js';
import type { StorageMode } from '../identity/storage.js';
import type { ChatMessage } from './chatState.js';
import { mentionsMe } from './markdown.js';
import { plainText } from './plainText.js';
import { shareSentLog } from './sharedSentLog.js';
import { notifyMention } from './notify.js';
import { ClockSkew } from './clockSkew.js';
import { FrameCache } from './frameCache.js';
import { Expiry } from './expiry.js';
import { Outbox } from './outbox.js';
import { Adoption } from './adoption.js';
import { HistorySync } from './historySync.js';
import { Incoming } from './incoming.js';
import { RoomSettings } from './settings.js';
import { SentLog } from './sentLog.js';
import { sendAttachment, sendEdit } from '../attachments/send.js';
import { freeFile, type Progress } from '../attachments/transfer.js';
import { OWN_REACTOR } from './reactors.js';

export class RoomController {
  readonly store: RoomStore;
  private socket: RoomSocket | null = null;
  private readonly boxKeys = newBoxKeyPair();
  private disposed = false;
  private cacheLoaded = 0;
  private readonly unsubIdentity: () => void;
  /** Expiry runs on the relay's clock: our own echoes tell us how far off this device is. */
  private readonly clock = new ClockSkew();
  private readonly cache: FrameCache;
  private readonly expiry: Expiry;
  private readonly outbox: Outbox;
  private readonly adoption: Adoption;
  private readonly history: HistorySync;
  private readonly incoming: Incoming;
  private readonly settings: RoomSettings;
  private readonly unshareSent: () => void;
  private readonly unwatchName: () => void;

  constructor(
    readonly roomId: string,
    key: Uint8Array,
    /** `signed`: the link carries signed=1, so a signed user's first message locks the room. */
    private readonly opts: { signed?: boolean } = {},
  ) {
    const identity = identityStore.getState().identity;
    const store = createRoomStore({
      roomId,
      me: loadName(),
      identity,
      ttlMs: loadTtl(roomId),
      fingerprint: keyFingerprint(key),
    });
    this.store = store;
    const serverNow = () => this.clock.now();
    const refreshStatus = () => this.refreshStatus();
    this.cache = new FrameCache(roomId);
    this.expiry = new Expiry(store, this.cache, serverNow);
    const sent = new SentLog();
    this.unshareSent = shareSentLog(roomId, sent);
    this.outbox = new Outbox({ roomId, key, store, clock: this.clock, refreshStatus, sent });
    const post = (plaintext: string) => this.outbox.post(plaintext);
    this.adoption = new Adoption({ store, boxSecretKey: this.boxKeys.secretKey, post });
    this.history = new HistorySync({ store, key, cache: this.cache, expiry: this.expiry, serverNow, post });
    this.settings = new RoomSettings(roomId, store, () => this.socket?.sendHello());
    this.incoming = new Incoming({
      key,
      store,
      clock: this.clock,
      cache: this.cache,
      expiry: this.expiry,
      history: this.history,
      adoption: this.adoption,
      outbox: this.outbox,
      sent,
      notice: (m) => this.noticeLive(m),
      refreshStatus,
      armSignedLink: () => this.maybeArmSignedLink(),
    });
    const unsubId = identityStore.subscribe((st, prev) => {
      if (st.identity !== prev.identity) this.onIdentityChanged(st.identity);
    });
    const unsubPresence = store.subscribe((st, prev) => {
      if (st.participants !== prev.participants) this.adoption.notePresence(st.participants);
    });
    this.unwatchName = watchName((name) => this.settings.follow(name));
    this.unsubIdentity = () => {
      unsubId();
      unsubPresence();
    };
  }

  /** Sign-in, unlock, adopt or sign-out: switch the name and tell the relay, without reconnecting. */
  private onIdentityChanged(id: Identity | null): void {
    this.store.getState().setIdentity(id, id ? undefined : loadName());
    this.socket?.sendHello();
    this.maybeArmSignedLink();
  }

  private maybeArmSignedLink(): void {
    const s = this.store.getState();
    if (this.opts.signed && s.identity && s.live && !s.locked) s.setLockArmed(true);
  }

  async start(): Promise<void> {
    performance.mark('room-start');
    // Unsent posts are read beside the history, not after it.
    const restoring = this.outbox.restore();
    try {
      const opened = await this.cache.open(this.clock.now(), Date.now());
      this.store.getState().setTombstones(opened.tombstones);
      this.cacheLoaded = opened.frames.length;
      await this.incoming.replayCache(opened.frames, () => this.disposed);
      performance.mark('room-cache-decrypted', { detail: opened.frames.length });
    } catch {
      this.store
        .getState()
        .toast('Local history is unavailable in this browser mode; the room still works.', 'info');
    }
    // Marks for the 2,000-message benchmark (e2e/perf.spec.ts); cheap enough to keep.
    this.store.getState().setCacheLoaded(this.cacheLoaded);
    await restoring;
    if (this.disposed) return;
    window.addEventListener('online', this.onOnline);
    this.socket = new RoomSocket({
      roomId: this.roomId,
      getAfter: () => this.cache.lastSeq,
      hello: () => ({
        type: 'hello',
        name: this.store.getState().me,
        box_pub: encodeBase64Url(this.boxKeys.publicKey),
        client: WEB_CLIENT,
      }),
      onFrame: (f) => this.incoming.frame(f),
      onStatus: (s, d) => {
        if (s !== 'online') this.incoming.connectionLost();
        this.store.getState().setConn(s, d?.retryInMs ?? null);
        // The relay is reachable again: what waited to be sent goes now.
        if (s === 'online') this.outbox.flush();
      },
    });
    this.socket.start();
    this.expiry.startSweeping();
  }

  dispose(): void {
    this.disposed = true;
    window.removeEventListener('online', this.onOnline);
    this.outbox.dispose();
    this.unsubIdentity();
    this.unshareSent();
    this.unwatchName();
    this.adoption.dispose();
    this.history.dispose();
    this.socket?.stop();
    this.expiry.dispose();
    this.cache.flushCursor();
  }

  /** The relay's clock as measured from our own posts (for disappearing messages). */
  serverNow(): number {
    return this.clock.now();
  }

  retryConnection(): void {
    this.socket?.retryNow();
  }

  /** One batch of live messages from others: one store update for counts and one spoken line. */
  private noticeLive(msgs: ChatMessage[]): void {
    const s = this.store.getState();
    const mentioned = msgs.filter((m) => mentionsMe(m.text, s.me));
    const away = document.visibilityState !== 'visible' || !document.hasFocus();
    // Counted only while nobody is looking; focus or a visible tab clears the count again.
    if (away) s.bumpUnread(mentioned.length, msgs.length);
    const first = mentioned[0];
    if (first) notifyMention(s.me, first.sender, plainText(first.text, 140));
    const last = msgs[msgs.length - 1]!;
    const shown = first ?? last;
    const more = msgs.length > 1 ? ` (and ${msgs.length - 1} more)` : '';
    s.announce(
      `${first ? 'Mention from' : 'New message from'} ${shown.sender}: ${plainText(shown.text)}${more}`,
    );
  }

  // ---------- sending ----------

  send(text: string): void {
    void this.outbox.send(text);
  }

  retrySend(localId: string): void {
    void this.outbox.retry(localId);
  }

  discardPending(localId: string): void {
    this.outbox.discard(localId);
  }

  /** Delete for everyone: local at once, then the envelope (anyone with the link may do this). */
  async deleteForEveryone(id: string): Promise<void> {
    const s = this.store.getState();
    const seq = s.messages[id]?.seq;
    const file = s.messages[id]?.file;
    this.expiry.deleteLocal(id, Date.now());
    if (file) freeFile(this.roomId, file);
    const r = await this.outbox.post(deleteEnvelope(id, seq));
    if (!r.ok)
      s.toast(`The delete did not reach the relay: ${describePostError(r)} It is hidden only here.`, 'error');
  }

  /** Encrypt, upload and post a file (throws on failure or cancel; the caller shows it). */
  sendFile(file: File, opts: { onProgress?: Progress; signal?: AbortSignal } = {}): Promise<void> {
    return sendAttachment(
      { roomId: this.roomId, store: this.store, post: (t, extra) => this.outbox.post(t, extra) },
      file,
      opts,
    );
  }

  /** Edit one of our messages for everyone; others' clients ignore edits by anyone else. */
  editMessage(id: string, text: string): Promise<void> {
    return sendEdit(
      { roomId: this.roomId, store: this.store, post: (t, extra) => this.outbox.post(t, extra) },
      id,
      text,
    );
  }

  async toggleReaction(targetId: string, emoji: string): Promise<void> {
    const s = this.store.getState();
    const mine = s.reactions[targetId]?.[emoji]?.includes(OWN_REACTOR) ?? false;
    const op = mine ? 'remove' : 'add';
    s.react(OWN_REACTOR, { target_id: targetId, emoji, op });
    const r = await this.outbox.post(reactEnvelope(targetId, emoji, op));
    if (!r.ok) {
      s.react(OWN_REACTOR, { target_id: targetId, emoji, op: mine ? 'add' : 'remove' });
      s.toast(`Reaction not sent: ${describePostError(r)}`, 'error');
    }
  }

  // ---------- identity: lock, promote, adopt ----------

  private readonly onOnline = (): void => {
    this.outbox.flush();
  };

  /** Re-read the lock from the relay (after a refused lock, for instance). */
  async refreshStatus(): Promise<void> {
    try {
      const res = await fetch(`/api/rooms/${encodeURIComponent(this.roomId)}/status`, {
        cache: 'no-store',
        credentials: 'omit',
      });
      const status = RoomStatus.safeParse(await res.json());
      if (status.success && status.data.signed_only === true) this.store.getState().setLocked(true);
    } catch {
      // Offline: the next `ready` brings the state anyway.
    }
  }

  promote(
    targetName: string,
    boxPub: string,
    handle: string,
  ): Promise<{ ok: true } | { ok: false; error: string }> {
    return this.adoption.promote(targetName, boxPub, handle);
  }

  acceptAdopt(mode: StorageMode): Promise<void> {
    return this.adoption.accept(mode);
  }

  declineAdopt(): void {
    this.adoption.decline();
  }

  // ---------- settings ----------

  rename(name: string): void {
    this.settings.rename(name);
  }

  setTtl(ms: number): void {
    this.settings.setTtl(ms);
  }

  async forget(): Promise<void> {
    this.dispose();
    this.settings.forget();
    await this.cache.forget();
  }

  get cachedCount(): number {
    return this.cacheLoaded;
  }

  get plaintextLimit(): number {
    return LIMITS.plaintextBytes;
  }
}
