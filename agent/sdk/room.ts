/**
 * A room as an agent sees it: one object holding the key, the name, the optional identity and
 * the per-Room presence key, with send / stream / poll / history / status and the server-side
 * claim cursor.
 */
import {
  LIMITS,
  MESSAGE_ID_RE,
  classifyPlaintext,
  editEnvelope,
  encodeBase64Url,
  isValidTtl,
  newBoxKeyPair,
  reactEnvelope,
  deleteEnvelope,
  sealText,
  signRoomPost,
  REACTION_MAX_CHARS,
  PostMessageResponse,
  RoomStatus as RoomStatusSchema,
  type BoxKeyPair,
  type Identity,
  type StoredMessage,
} from '../../protocol/index.js';
import { BlobSecrets } from './blobSecrets.js';
import { Bot2BotError, HttpError, NoIdentityError, RoomMovedOnError } from './errors.js';
import { ReplyBudget, ReplyBudgetError, replyBudgetFromEnv, type ReplyBudgetOptions } from './replyBudget.js';
import { parseAnswer, requestJson, type HttpOptions } from './http.js';
import { decodeMessage, asStoredMessage, type Message } from './message.js';
import { parseRoomUrl } from './roomUrl.js';
import type { RoomCore, RoomStatusAnswer } from './roomCore.js';
import { applyAdoption, type AdoptionEvent } from './adopt.js';
import { Presence } from './presence.js';
import { streamMessages, type StreamOptions } from './stream.js';
import { EditTracker, foldEdits, primeEdits, type TranscriptPage } from './edits.js';
import {
  downloadFile,
  fetchFile,
  freeBlob,
  sendFile,
  type DownloadOptions,
  type SendFileOptions,
} from './files.js';
import type { FileEnvelope } from '../../protocol/index.js';
import {
  claimNext,
  ackClaim,
  nextTask,
  type ClaimOptions,
  type ClaimResult,
  type AckResult,
  type NextOptions,
  type NextResult,
} from './cursor.js';

export interface RoomOptions {
  /** Sender label; must be unique in the room. A random `agent-xxxxxx` (with a warning) if omitted. */
  name?: string;
  /** Signs every post; needed for claim/ack/next and for signed-only rooms. */
  identity?: Identity;
  /** Lock the room to signed senders with this Room's posts (needs `identity`). */
  signedOnly?: boolean;
  /** Accept adopt offers from verified senders aimed at our name (default: deny). */
  acceptAdoptions?: boolean;
  /** Where an adopted identity is saved (reference SDK file format, mode 0600). */
  identityFile?: string;
  /** Custom persistence for an adopted identity (instead of identityFile). */
  saveIdentity?: (id: Identity) => void;
  onAdopt?: (e: AdoptionEvent) => void;
  /** Warnings (default: stderr). */
  onWarning?: (text: string) => void;
  /** Default for stream/poll: also yield our own messages. */
  includeSelf?: boolean;
  /** SSE read timeout: no byte for this long forces a reconnect (default 60). */
  maxIdleSec?: number;
  /** Request timeout for ordinary calls (default 30 s). */
  timeoutMs?: number;
  /** Refuse HTTP redirects instead of following them. */
  refuseRedirects?: boolean;
  fetch?: typeof fetch;
  /**
   * The loop guard (see replyBudget.ts): at most this many replies in a row with no human in
   * between, then send() throws ReplyBudgetError. Default: 8, or BOT2BOT_REPLY_BUDGET /
   * BOT2BOT_HUMANS / BOT2BOT_AGENTS from the environment; 0 or false turns it off.
   */
  replyBudget?: ReplyBudgetOptions | number | false;
}

export interface SendOptions {
  replyTo?: string;
  ttlMs?: number;
  signal?: AbortSignal;
  /** Post under this label instead of the Room's name (it is remembered as ours). */
  sender?: string;
  /** Sign with this identity instead of the Room's (null: send unsigned). */
  identity?: Identity | null;
  /**
   * Optimistic posting: store the message only if the room's last_seq is still this (0 for an
   * empty room); otherwise RoomMovedOnError with the room's last_seq, and nothing is stored.
   */
  expectedLastSeq?: number;
  /** Does not count against the reply budget (control envelopes never do). */
  notAReply?: boolean;
}

/** `GET /status`, parsed with the protocol's schema. */
export type RoomStatus = RoomStatusAnswer;

function randomName(): string {
  return `agent-${[...globalThis.crypto.getRandomValues(new Uint8Array(3))].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export class Room implements RoomCore {
  readonly url: string;
  readonly origin: string;
  readonly roomId: string;
  readonly apiBase: string;
  readonly key: Uint8Array;
  /** Ephemeral X25519 key published as presence `box_pub`; adopt offers are sealed to it. */
  readonly boxKeyPair: BoxKeyPair;
  readonly boxPub: string;
  name: string;
  identity: Identity | undefined;
  signedOnly: boolean;
  acceptAdoptions: boolean;
  identityFile: string | undefined;
  readonly saveIdentity: ((id: Identity) => void) | undefined;
  includeSelf: boolean;
  maxIdleSec: number;
  timeoutMs: number;
  /** True once the relay told us the room is signed-only. */
  locked = false;
  /** The `after` the next poll() uses: the highest seq it has seen. */
  pollCursor = 0;
  /** The room's last_seq as the latest poll() saw it (0 when the room does not exist). */
  lastServerSeq = 0;
  /** Every label this Room has posted under; messages from these are "self". */
  readonly selfNames = new Set<string>();
  readonly appliedAdoptions = new Set<string>();
  readonly presence: Presence;
  readonly onAdopt: ((e: AdoptionEvent) => void) | undefined;
  readonly warn: (text: string) => void;
  readonly fetchImpl: typeof fetch | undefined;
  readonly refuseRedirects: boolean;
  private warnedUndecryptable = false;
  private readonly edits = new EditTracker();
  /** Delete secrets of the files this Room uploaded. */
  readonly blobSecrets = new BlobSecrets();
  /** The loop guard every send() goes through. */
  readonly budget: ReplyBudget;

  constructor(url: string, opts: RoomOptions = {}) {
    const link = parseRoomUrl(url);
    this.url = url;
    this.origin = link.origin;
    this.roomId = link.roomId;
    this.apiBase = `${link.origin}/api/rooms/${link.roomId}`;
    this.key = link.key;
    this.warn = opts.onWarning ?? ((t) => process.stderr.write(`bot2bot: ${t}\n`));
    this.identity = opts.identity;
    if (link.signed && !this.identity)
      throw new NoIdentityError(
        'This room link has signed=1: the room only accepts signed posts, so pass an identity',
      );
    if (opts.signedOnly && !this.identity)
      throw new NoIdentityError('signedOnly needs an identity: only a signed post can lock a room');
    if (opts.name !== undefined && (opts.name.trim() === '' || opts.name.length > LIMITS.senderMaxChars)) {
      throw new Bot2BotError(`name must be 1–${LIMITS.senderMaxChars} characters`);
    }
    if (opts.name) this.name = opts.name;
    else if (this.identity) this.name = `@${this.identity.handle}`;
    else {
      this.name = randomName();
      this.warn(
        `no name given; using "${this.name}". Give every agent a unique name, or agents sharing one filter each other out.`,
      );
    }
    this.selfNames.add(this.name);
    if (this.identity) this.selfNames.add(`@${this.identity.handle}`);
    this.signedOnly = opts.signedOnly ?? link.signed;
    this.acceptAdoptions = opts.acceptAdoptions ?? false;
    this.identityFile = opts.identityFile;
    this.saveIdentity = opts.saveIdentity;
    this.refuseRedirects = opts.refuseRedirects ?? false;
    this.onAdopt = opts.onAdopt;
    this.includeSelf = opts.includeSelf ?? false;
    this.maxIdleSec = opts.maxIdleSec ?? 60;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.fetchImpl = opts.fetch;
    this.boxKeyPair = newBoxKeyPair();
    this.boxPub = encodeBase64Url(this.boxKeyPair.publicKey);
    this.presence = new Presence(this);
    const rb = opts.replyBudget;
    this.budget = new ReplyBudget(
      rb === false
        ? { limit: 0 }
        : typeof rb === 'number'
          ? { ...replyBudgetFromEnv(), limit: rb }
          : (rb ?? replyBudgetFromEnv()),
    );
  }

  http(extra: HttpOptions = {}): HttpOptions {
    return {
      timeoutMs: this.timeoutMs,
      fetch: this.fetchImpl,
      refuseRedirects: this.refuseRedirects,
      ...extra,
    };
  }

  /** Seal and post one message; retried on 5xx, 429 and network errors (4 tries). */
  async send(text: string, opts: SendOptions = {}): Promise<{ id: string; seq: number }> {
    if (typeof text !== 'string') throw new Bot2BotError('send() needs a string');
    if (opts.replyTo !== undefined && !MESSAGE_ID_RE.test(opts.replyTo))
      throw new Bot2BotError(
        `replyTo must be a message id (8–64 characters of A–Z a–z 0–9 _ -), got "${opts.replyTo}"`,
      );
    if (opts.ttlMs !== undefined && opts.ttlMs !== 0 && !isValidTtl(opts.ttlMs))
      throw new Bot2BotError('ttlMs must be 0 or between 30000 ms and 366 days');
    if (
      opts.expectedLastSeq !== undefined &&
      !(Number.isSafeInteger(opts.expectedLastSeq) && opts.expectedLastSeq >= 0)
    ) {
      throw new Bot2BotError('expectedLastSeq must be a seq (an integer ≥ 0)');
    }
    // Control envelopes (reactions, deletes, adopt offers) are not replies, whoever sends them.
    const isReply = !opts.notAReply && classifyPlaintext(text).kind === 'chat';
    const refusal = isReply ? this.budget.refusal() : null;
    if (refusal) throw new ReplyBudgetError(refusal);
    const sealed = sealText(text, this.key);
    if (sealed.ciphertext.length > LIMITS.ciphertextChars)
      throw new Bot2BotError(
        `message too long: the relay takes about ${Math.floor((LIMITS.ciphertextChars * 3) / 4) - 16} bytes of UTF-8`,
      );
    const sender = opts.sender ?? this.name;
    if (sender.length > LIMITS.senderMaxChars)
      throw new Bot2BotError(`sender must be at most ${LIMITS.senderMaxChars} characters`);
    if (opts.sender) this.selfNames.add(opts.sender);
    const signer = opts.identity === undefined ? this.identity : (opts.identity ?? undefined);
    const base: Record<string, unknown> = { sender, ...sealed };
    if (opts.replyTo) base.reply_to = opts.replyTo;
    if (opts.ttlMs) base.ttl_ms = opts.ttlMs;
    if (opts.expectedLastSeq !== undefined) base.expected_last_seq = opts.expectedLastSeq;
    const body = () => {
      const b = { ...base };
      if (signer) {
        this.selfNames.add(`@${signer.handle}`);
        Object.assign(b, signRoomPost(signer, this.roomId, sealed.ciphertext));
        if (this.signedOnly) b.signed_only = true;
      }
      return b;
    };
    // Each attempt is signed afresh: the relay refuses a reused sender_nonce.
    let res;
    try {
      res = await requestJson(
        'send',
        `${this.apiBase}/messages`,
        { method: 'POST', body },
        this.http({ tries: 4, signal: opts.signal }),
      );
    } catch (e) {
      if (opts.expectedLastSeq !== undefined && e instanceof HttpError && e.status === 409) {
        const last = (e.body as { last_seq?: unknown } | undefined)?.last_seq;
        throw new RoomMovedOnError(e.body, typeof last === 'number' ? last : 0);
      }
      throw e;
    }
    const posted = parseAnswer('send', PostMessageResponse, res.body);
    if (isReply) this.budget.sent();
    return { id: posted.id, seq: posted.seq };
  }

  /** React to a message (a bot2bot_react_v1 envelope sent as an ordinary message). */
  react(targetId: string, emoji: string, op: 'add' | 'remove' = 'add'): Promise<{ id: string; seq: number }> {
    if (!MESSAGE_ID_RE.test(targetId))
      throw new Bot2BotError(`target_id must be a message id, got "${targetId}"`);
    const e = emoji.trim();
    if (e.length < 1 || e.length > REACTION_MAX_CHARS)
      throw new Bot2BotError(`emoji must be 1–${REACTION_MAX_CHARS} characters`);
    return this.send(reactEnvelope(targetId, e, op), { notAReply: true });
  }

  unreact(targetId: string, emoji: string): Promise<{ id: string; seq: number }> {
    return this.react(targetId, emoji, 'remove');
  }

  /**
   * Ask every client to hide a message (shared-key authority: any key holder may). A file
   * message's blob is freed at the relay first when this Room uploaded it (its delete secret),
   * or when its uploader gave none (the envelope's token).
   */
  async deleteMessage(targetId: string, targetSeq?: number): Promise<{ id: string; seq: number }> {
    if (!MESSAGE_ID_RE.test(targetId))
      throw new Bot2BotError(`target_id must be a message id, got "${targetId}"`);
    await this.freeAttachment(targetId);
    return this.send(deleteEnvelope(targetId, targetSeq), { notAReply: true });
  }

  /**
   * Free the blob of a file message at the relay (best effort: it expires anyway). False when the
   * message is not a file message this Room can find, or its file is someone else's.
   */
  async freeAttachment(targetId: string): Promise<boolean> {
    const file = this.edits.attachmentOf(targetId) ?? (await this.findAttachment(targetId).catch(() => null));
    if (!file) return false;
    return freeBlob(this, file).catch(() => false);
  }

  /** A file message this Room has not seen: looked up in the retained transcript. */
  private async findAttachment(targetId: string): Promise<FileEnvelope | null> {
    let after = 0;
    for (let page = 0; page < 4; page++) {
      const got = await this.transcriptPage(after);
      const hit = got.messages.find((m) => m.id === targetId);
      if (hit) return hit.attachment ?? null;
      if (got.count < 500) return null;
      after = got.lastSeq;
    }
    return null;
  }

  /** Edit one of our own messages for everyone (other clients ignore edits by anyone else). */
  edit(targetId: string, text: string): Promise<{ id: string; seq: number }> {
    if (!MESSAGE_ID_RE.test(targetId))
      throw new Bot2BotError(`target_id must be a message id, got "${targetId}"`);
    return this.send(editEnvelope(targetId, text));
  }

  /** Encrypt a file (a path or bytes) with a fresh key, upload it, and post it to the room. */
  async sendFile(
    source: string | Uint8Array,
    opts: SendFileOptions = {},
  ): Promise<{ id: string; seq: number; attachment: FileEnvelope }> {
    const sent = await sendFile(this, source, opts);
    this.edits.rememberFile(sent.id, sent.attachment);
    return sent;
  }

  /**
   * Fetch and verify an attachment (a message or its `attachment`). With `dest` (a path or a
   * directory) it is written there once verified; without, the bytes are returned.
   */
  download(
    attachment: FileEnvelope | Message,
    dest: string,
    opts?: DownloadOptions,
  ): Promise<{ path: string; bytes: number; sha256: string }>;
  download(attachment: FileEnvelope | Message, dest?: undefined, opts?: DownloadOptions): Promise<Uint8Array>;
  download(
    attachment: FileEnvelope | Message,
    dest?: string,
    opts: DownloadOptions = {},
  ): Promise<Uint8Array | { path: string; bytes: number; sha256: string }> {
    return dest === undefined
      ? fetchFile(this, attachment, opts)
      : downloadFile(this, attachment, dest, opts);
  }

  /**
   * Live messages as an async iterator over SSE: resumes with `after=`, reconnects forever with
   * capped backoff, dedupes by seq, filters our own messages, keeps presence alive.
   */
  stream(opts: StreamOptions = {}): AsyncGenerator<Message> {
    return streamMessages(this, opts);
  }

  /** One long-poll (`/wait`): messages after `after` (default: what poll() last saw). */
  async poll(
    opts: {
      after?: number;
      timeout?: number;
      includeSelf?: boolean;
      includeControl?: boolean;
      signal?: AbortSignal;
    } = {},
  ): Promise<Message[]> {
    const after = opts.after ?? this.pollCursor;
    const timeout = Math.min(Math.max(Math.round(opts.timeout ?? 30), 1), 90);
    const res = await requestJson<{ messages?: unknown[]; last_seq?: number; exists?: boolean }>(
      'poll',
      `${this.apiBase}/wait?after=${after}&timeout=${timeout}`,
      {},
      this.http({
        tries: 4,
        timeoutMs: (timeout + 5) * 1000,
        signal: opts.signal,
      }),
    );
    const out: Message[] = [];
    let max = after;
    for (const raw of res.body.messages ?? []) {
      const m = asStoredMessage(raw);
      if (!m) continue;
      const msg = await this.receive(m, { after: max });
      max = Math.max(max, m.seq);
      if (msg && this.wanted(msg, opts)) out.push(msg);
    }
    this.pollCursor = Math.max(this.pollCursor, max);
    this.lastServerSeq = res.body.last_seq ?? 0;
    return out;
  }

  /**
   * Buffered messages (`/transcript`), oldest first, our own included and marked: context, never
   * fed to the reply budget. `last: N` gives the room's most recent N seqs instead of the oldest.
   */
  async history(
    opts: { after?: number; limit?: number; last?: number; includeControl?: boolean } = {},
  ): Promise<Message[]> {
    let after = opts.after ?? 0;
    let limit = Math.min(Math.max(Math.round(opts.limit ?? 100), 1), 500);
    if (opts.last !== undefined) {
      limit = Math.min(Math.max(Math.round(opts.last), 1), 500);
      // Seqs go up by one per message within a room's life, so the last N sit above last_seq - N.
      after = Math.max(after, ((await this.status()).last_seq ?? 0) - limit);
    }
    const res = await requestJson<{ messages?: unknown[] }>(
      'history',
      `${this.apiBase}/transcript?after=${after}&limit=${limit}`,
      {},
      this.http({ tries: 4 }),
    );
    const out: Message[] = [];
    const raws = res.body.messages ?? [];
    let prev = after;
    for (const raw of raws) {
      const m = asStoredMessage(raw);
      if (!m) continue;
      const msg = await this.receive(m, { adopt: false, live: false, after: prev });
      prev = Math.max(prev, m.seq);
      if (msg && this.wanted(msg, { includeSelf: true, includeControl: opts.includeControl })) out.push(msg);
    }
    // A page that stops short of the room's end: later deletes and edits still count.
    if (raws.length >= limit && opts.last === undefined)
      await primeEdits(this.edits, (a) => this.transcriptPage(a), Number.POSITIVE_INFINITY, {
        budgeted: false,
        from: prev,
      }).catch(() => undefined);
    return foldEdits(out, opts.includeControl)
      .filter((m) => !this.edits.isDeleted(m.id))
      .map((m) => this.edits.applyLatest(m));
  }

  /** A message in the relay's buffer (up to 2000), as history() shows it; null when it is not there. */
  async findMessage(id: string): Promise<Message | null> {
    let after = 0;
    for (let page = 0; page < 5; page++) {
      const msgs = await this.history({ after, limit: 500, includeControl: true });
      const hit = msgs.find((m) => m.id === id);
      if (hit) return hit;
      if (msgs.length < 500) return null;
      after = msgs[msgs.length - 1]!.seq;
    }
    return null;
  }

  async status(): Promise<RoomStatus> {
    const res = await requestJson('status', `${this.apiBase}/status`, {}, this.http({ tries: 4 }));
    return parseAnswer('status', RoomStatusSchema.loose(), res.body);
  }

  /** One presence heartbeat (`POST /listening`); false when the room does not exist yet. */
  heartbeat(): Promise<boolean> {
    return this.presence.beat();
  }

  claim(opts: ClaimOptions = {}): Promise<ClaimResult> {
    return claimNext(this, opts);
  }

  ack(claimId: string, seq: number): Promise<AckResult> {
    return ackClaim(this, claimId, seq);
  }

  /** claim → optional onClaim → ack. If onClaim returns false or throws, nothing is acked. */
  next(opts: NextOptions = {}): Promise<NextResult> {
    return nextTask(this, opts);
  }

  requireIdentity(what: string): Identity {
    if (!this.identity)
      throw new NoIdentityError(
        `${what} needs a registered identity: pass { identity } (see ensureIdentity)`,
      );
    return this.identity;
  }

  /** Decrypt, count undecryptable ones, apply adopt offers, and let the reply budget see live messages. */
  async receive(
    raw: StoredMessage,
    opts: { adopt?: boolean; live?: boolean; after?: number } = {},
  ): Promise<Message | null> {
    const msg = decodeMessage(raw, this.key, this.selfNames);
    if (!msg) {
      this.edits.covered(raw.seq, opts.after);
      if (!this.warnedUndecryptable) {
        this.warnedUndecryptable = true;
        this.warn(
          `message seq=${raw.seq} does not decrypt with this room key (a wrong key, or junk posted to the room); skipping such messages`,
        );
      }
      return null;
    }
    if (msg.control?.kind === 'adopt' && opts.adopt !== false)
      await applyAdoption(this, msg, msg.control.envelope);
    if (opts.live !== false) this.budget.observe(msg);
    if (this.edits.needsTarget(msg, opts.after))
      await primeEdits(this.edits, (after) => this.transcriptPage(after), msg.seq).catch(() => undefined);
    const out = this.edits.track(msg);
    this.edits.covered(msg.seq, opts.after);
    return out;
  }

  /** One raw transcript page, decoded without side effects (for judging edits). */
  private async transcriptPage(after: number): Promise<TranscriptPage> {
    const res = await requestJson<{ messages?: unknown[] }>(
      'history',
      `${this.apiBase}/transcript?after=${after}&limit=500`,
      {},
      this.http({ tries: 2 }),
    );
    const raws = res.body.messages ?? [];
    const messages: Message[] = [];
    let lastSeq = after;
    for (const raw of raws) {
      const m = asStoredMessage(raw);
      if (m) lastSeq = Math.max(lastSeq, m.seq);
      const msg = m && decodeMessage(m, this.key, this.selfNames);
      if (msg) messages.push(msg);
    }
    return { messages, count: raws.length, lastSeq };
  }

  wanted(msg: Message, opts: { includeSelf?: boolean; includeControl?: boolean }): boolean {
    if (msg.kind === 'adopt') return false;
    // Attachments and (authorised) edits are content, not control.
    if (msg.kind !== 'chat' && msg.kind !== 'file' && msg.kind !== 'edit' && !opts.includeControl)
      return false;
    if (msg.isSelf && !(opts.includeSelf ?? this.includeSelf)) return false;
    return true;
  }

  /** Stop background presence. Streams end when their consumers stop iterating. */
  close(): void {
    this.presence.stopAll();
  }
}
