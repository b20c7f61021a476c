/**
 * Everything the relay sends, classified once: a message frame is decrypted once and becomes a
 * chat bubble, a delete, a reaction, a history request or answer, or an adopt offer; the other
 * frame types update connection, presence and lock state.
 */
import { openText } from '@protocol/crypto.js';
import { describeFile } from '@protocol/attachments.js';
import { classifyPlaintext } from '@protocol/envelopes.js';
import { normalizeLabel } from '@protocol/labels.js';
import type { Participant, ServerFrame } from '@protocol/schemas/frames.js';
import type { RoomState, RoomStore } from '../store/roomStore.js';
import type { Adoption } from './adoption.js';
import type { ChatMessage } from './chatState.js';
import type { ClockSkew } from './clockSkew.js';
import { deletedLine, mayDelete, type Deleter } from './deletePolicy.js';
import type { Expiry } from './expiry.js';
import type { FrameCache, RoomFrame } from './frameCache.js';
import { parseRestored, type HistorySync } from './historySync.js';
import type { Outbox } from './outbox.js';
import { OWN_REACTOR, peerAggregates, reactorKey } from './reactors.js';
import type { SentLog } from './sentLog.js';

const FIRST_FLUSH_MS = 16;
/** Work per task while the cache replays, leaving room for the render it causes within 50 ms. */
const REPLAY_SLICE_MS = 8;
/** And at most this many frames, since each new bubble costs a render and a layout too. */
const REPLAY_SLICE_FRAMES = 24;
/** Slices are shown as they go until the list's first window (120) is well filled. */
const REPLAY_EAGER_MESSAGES = 200;
const FLUSH_GAP_MS = 100;

export interface IncomingDeps {
  key: Uint8Array;
  store: RoomStore;
  clock: Pick<ClockSkew, 'now' | 'noteEcho'>;
  cache: Pick<FrameCache, 'put' | 'tombstone' | 'drop' | 'bumpCursor' | 'lastSeq'>;
  expiry: Pick<Expiry, 'deleteLocal' | 'arm'>;
  history: Pick<HistorySync, 'maybeRequest' | 'onRequest' | 'onResponse'>;
  adoption: Pick<Adoption, 'consider'>;
  outbox: Pick<Outbox, 'settle'>;
  sent: Pick<SentLog, 'isOwn'>;
  /** Live messages from someone else, one batch at a time: unread counts, mentions, the screen-reader line. */
  notice: (msgs: ChatMessage[]) => void;
  /** Runs a batch flush after `ms` (a timer); tests run it by hand. */
  schedule?: (flush: () => void, ms: number) => void;
  /** The lock was refused or may have changed: re-read it from the relay. */
  refreshStatus: () => Promise<void>;
  /** `ready` or an identity change: a signed=1 link arms the lock once live. */
  armSignedLink: () => void;
}

export class Incoming {
  private readonly seen = new Set<string>();
  /** Frames before `ready` on each connection are the relay replaying its buffer. */
  private replaying = true;
  /**
   * Chat messages waiting for the next store update. A burst of thousands of frames becomes a
   * few updates (one per 100 ms, or one per cache replay) instead of a copy of the whole message
   * map per message.
   */
  private batch: Pending[] = [];
  private scheduled = false;
  private lastFlush = Number.NEGATIVE_INFINITY;
  /** Reactions met while the cache replays newest first; applied oldest first once it is done. */
  /** During a cache replay: reactions and edits, applied in seq order once their targets are shown. */
  private replayLater: Array<(s: RoomState, now: number) => void> | null = null;
  private readonly schedule: (flush: () => void, ms: number) => void;

  constructor(private readonly d: IncomingDeps) {
    this.schedule = d.schedule ?? ((fn, ms) => void setTimeout(fn, ms));
  }

  /** The socket went down or is (re)connecting: what follows is a replay until `ready`. */
  connectionLost(): void {
    this.replaying = true;
  }

  /**
   * Replay the cache's frames, newest first, in slices of about REPLAY_SLICE_MS of work with a
   * yield between them, so a room full of heavy messages never holds the page for one long task
   * and the messages on screen come first. Cached reactions and edits wait and apply in seq order
   * at the end, once their targets are in.
   */
  async replayCache(frames: RoomFrame[], cancelled: () => boolean = () => false): Promise<void> {
    this.replayLater = [];
    try {
      let i = frames.length;
      while (i > 0 && !cancelled()) {
        const t0 = performance.now();
        const stop = i - REPLAY_SLICE_FRAMES;
        do this.message(frames[--i]!, { fromCache: true });
        while (i > 0 && i > stop && performance.now() - t0 < REPLAY_SLICE_MS);
        // Once the newest screenfuls are shown, older history lands in one update at the end
        // rather than re-rendering the list after every slice.
        if (this.d.store.getState().order.length < REPLAY_EAGER_MESSAGES) this.flush();
        if (i > 0) await nextTask();
      }
      const later = this.replayLater.reverse();
      this.replayLater = null;
      this.flush();
      for (let j = 0; j < later.length && !cancelled();) {
        const t0 = performance.now();
        const s = this.d.store.getState();
        const now = this.d.clock.now();
        do later[j++]!(s, now);
        while (j < later.length && performance.now() - t0 < REPLAY_SLICE_MS);
        if (j < later.length) await nextTask();
      }
    } finally {
      this.replayLater = null;
      this.flush();
    }
  }

  /** Apply every queued chat message now; anything that depends on them (deletes, reactions) runs after. */
  flush(): void {
    const batch = this.batch;
    if (!batch.length) return;
    this.batch = [];
    this.lastFlush = performance.now();
    const st = this.d.store;
    st.getState().addMessages(
      batch.map((b) => b.msg),
      this.d.clock.now(),
    );
    const s = st.getState();
    const expired: string[] = [];
    const toCache: RoomFrame[] = [];
    const noticed: ChatMessage[] = [];
    for (const { msg, frame, notice } of batch) {
      // Already expired: addMessages turned it into a tombstone.
      if (msg.id in s.tombstones) {
        expired.push(msg.id);
        continue;
      }
      this.d.expiry.arm(msg);
      if (!frame) continue;
      toCache.push(frame);
      if (msg.own) this.d.clock.noteEcho(frame.id, frame.ts);
      this.d.outbox.settle(frame.id, frame.nonce);
      if (notice) noticed.push(msg);
    }
    this.d.cache.tombstone(expired, Date.now());
    this.d.cache.put(toCache);
    if (noticed.length) this.d.notice(noticed);
  }

  /** Queue a message; `later` schedules the flush, otherwise the caller flushes. */
  private enqueue(p: Pending, later: boolean): void {
    this.batch.push(p);
    if (!later || this.scheduled) return;
    this.scheduled = true;
    // A lone message shows within a frame; during a burst, updates come at most every
    // FLUSH_GAP_MS, so layout and rendering run a few times a second, not once per message.
    const wait = Math.max(FIRST_FLUSH_MS, this.lastFlush + FLUSH_GAP_MS - performance.now());
    this.schedule(() => {
      this.scheduled = false;
      this.flush();
    }, wait);
  }

  frame(f: ServerFrame): void {
    if (f.type === 'message') {
      const { type: _t, ...frame } = f;
      this.message(frame, { fromCache: false });
      return;
    }
    if (f.type === 'ready' || f.type === 'presence')
      f = { ...f, participants: normalizeParticipants(f.participants) };
    else if (f.type === 'rename') f = { ...f, from: normalizeLabel(f.from), to: normalizeLabel(f.to) };
    // Whatever follows in the stream sees the messages before it.
    this.flush();
    const s = this.d.store.getState();
    switch (f.type) {
      case 'ready': {
        this.replaying = false;
        s.setPresence(f.participants);
        if (f.signed_only) s.setLocked(true);
        if (typeof f.last_seq === 'number' && f.last_seq > this.d.cache.lastSeq && f.last_seq > 0)
          this.d.cache.bumpCursor(f.last_seq);
        if (!s.live) s.setLive();
        this.d.armSignedLink();
        if (f.gap) s.toast('Some messages expired on the relay while you were away.', 'info');
        // The relay's snapshot is taken before we join, so it lists only the others.
        this.d.history.maybeRequest(
          f.participants.filter((p) => p.name !== s.me).length,
          !!f.gap || f.last_seq === 0,
        );
        break;
      }
      case 'presence':
        s.setPresence(
          f.participants,
          Date.now(),
          f.names.map((n) => normalizeLabel(n)),
        );
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
          void this.d.refreshStatus();
          break;
        }
        s.toast(
          f.code === 429 ? 'The relay is rate limiting this connection.' : `Relay: ${f.error}`,
          'error',
        );
        break;
    }
  }

  private message(raw: RoomFrame, opts: { fromCache: boolean }): void {
    if (!opts.fromCache) this.d.cache.bumpCursor(raw.seq);
    if (this.seen.has(raw.id)) return;
    this.seen.add(raw.id);
    // The label is shown and compared only once stripped of what could disguise it.
    const f = { ...raw, sender: normalizeLabel(raw.sender) };
    const s = this.d.store.getState();
    const text = openText(f, this.d.key);
    if (text === null) {
      s.countUndecryptable();
      return;
    }
    if (f.restored) {
      this.restored(text);
      return;
    }
    const p = classifyPlaintext(text);
    if (p.kind !== 'chat' && p.kind !== 'file') this.flush();
    const now = this.d.clock.now();
    switch (p.kind) {
      case 'chat':
      case 'file': {
        if (f.id in s.tombstones) {
          if (opts.fromCache) this.d.cache.drop([f.id]);
          return;
        }
        const msg: ChatMessage = {
          id: f.id,
          seq: f.seq,
          sender: f.sender,
          verified: f.sender_verified === true,
          ts: f.ts,
          text,
        };
        if (p.kind === 'file') {
          msg.file = p.envelope;
          msg.text = describeFile(p.envelope);
        }
        if (f.ttl_ms) msg.ttlMs = f.ttl_ms;
        if (f.reply_to) msg.replyTo = f.reply_to;
        // Ours only if this browser sent it (its nonce), never because of its label.
        const own = opts.fromCache ? f.own === true : this.d.sent.isOwn(f);
        if (own) msg.own = true;
        if (opts.fromCache) this.enqueue({ msg }, false);
        else
          this.enqueue({ msg, frame: own ? { ...f, own: true } : f, notice: !this.replaying && !own }, true);
        return;
      }
      case 'delete':
        this.delete(
          p.envelope.target_id,
          { sender: f.sender, verified: f.sender_verified === true },
          !this.replaying && !this.d.sent.isOwn(f),
          now,
        );
        return;
      case 'edit': {
        const edit = {
          targetId: p.envelope.target_id,
          text: p.envelope.text,
          sender: f.sender,
          verified: f.sender_verified === true,
          seq: f.seq,
        };
        // A cached edit waits until the replay has shown its (older) target.
        if (opts.fromCache && this.replayLater) this.replayLater.push((st, t) => void st.applyEdit(edit, t));
        else s.applyEdit(edit, now);
        if (!opts.fromCache) this.d.cache.put([f]);
        return;
      }
      case 'react': {
        // Ours only by nonce (as for messages); otherwise keyed by label, a handle only if verified.
        const own = opts.fromCache ? f.own === true : this.d.sent.isOwn(f);
        const actor = own ? OWN_REACTOR : reactorKey(f.sender, f.sender_verified === true);
        if (!actor) return;
        if (opts.fromCache && this.replayLater)
          this.replayLater.push((st, t) => st.react(actor, p.envelope, t));
        else s.react(actor, p.envelope, now);
        if (!opts.fromCache) this.d.cache.put([own ? { ...f, own: true } : f]);
        return;
      }
      case 'hist_req':
        if (!opts.fromCache) this.d.history.onRequest(f, p.envelope.req_id, { live: !this.replaying, now });
        return;
      case 'hist_resp':
        // History chatter is never cached, so this is a live or relay-replayed frame.
        if (!opts.fromCache) this.d.history.onResponse(f, p.envelope, now, this.seen);
        return;
      case 'adopt':
        // Consumed before any render or cache write, whoever it is for (reference-client.md §3.9).
        this.d.adoption.consider(f, p.envelope);
        return;
      default:
        // Malformed adopt offers, legacy and future markers: never rendered.
        return;
    }
  }

  /** Apply a delete if its sender may delete the target; say who deleted what when it is news. */
  private delete(targetId: string, by: Deleter, announce: boolean, now: number): void {
    const s = this.d.store.getState();
    const target = s.messages[targetId];
    if (!mayDelete(target, by)) {
      console.warn(`Ignored a delete of ${target!.sender}'s verified message from ${by.sender}`);
      return;
    }
    if (!this.d.expiry.deleteLocal(targetId, now) || !target || !announce) return;
    s.toast(deletedLine(target, by), 'info');
  }

  private restored(text: string): void {
    const r = parseRestored(text);
    if (!r) return;
    // Only the cache holds restored frames; its replay flushes once at the end.
    this.enqueue({ msg: r.msg }, false);
    if (r.reactions) this.d.store.getState().mergeReactions(r.msg.id, peerAggregates(r.reactions));
  }
}

/** Resolve in a fresh task (after rendering and input), without setTimeout's nesting clamp. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}

function normalizeParticipants(ps: Participant[]): Participant[] {
  return ps.map((p) => ({ ...p, name: normalizeLabel(p.name) }));
}

interface Pending {
  msg: ChatMessage;
  /** Set for live frames, which are cached and may settle our own pending send. */
  frame?: RoomFrame;
  notice?: boolean;
}
