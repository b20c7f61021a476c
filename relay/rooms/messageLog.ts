/**
 * One room's replay buffer in memory: messages in seq order, dropped from the front by age and
 * count, and from anywhere when their own TTL runs out.
 *
 * Each message is kept only as its delivery frame's UTF-8 bytes, copied into this room's own
 * byte chunks, with its seq, time, deadline and cost in number columns. A message held as an
 * object with four strings was five objects on the JS heap; 200 busy rooms hold 400,000
 * messages, and every major GC marked two million objects on the one core the relay has
 * (docs/PERFORMANCE.md, finding 19). Held this way a message is one small view object; its
 * bytes are off the heap, where the marker never goes. Reads decode the few messages they
 * return; a WebSocket or SSE replay sends the bytes as they are.
 *
 * A full room drops one message per append. Removing it with `splice(0, 1)` moved all 2,000
 * entries on every post (8% of the relay's time under HTTP ingest, docs/PERFORMANCE.md), so the
 * live window starts at `head` and the columns are compacted only once the dead prefix is as
 * long as the window: amortized O(1) per append. TTL expiry is scanned for only when the
 * earliest deadline in the buffer has passed, not on every call.
 */
import { LIMITS } from '../../protocol/index.js';
import { parseMessageFrame } from './messageFrame.js';
import type { StoredMessage } from './types.js';

/** What a message counts against the relay's buffer limit: its ciphertext plus a fixed overhead. */
export function messageBytes(m: StoredMessage): number {
  return m.ciphertext.length + LIMITS.messageOverheadBytes;
}

/** Compaction never bothers below this many dead slots. */
const MIN_COMPACT = 64;

/**
 * A room's frames are copied into chunks of its own, so a message kept for a day pins only its
 * own room's bytes, never another room's dead ones, as slices of Node's shared 8 KiB Buffer pool
 * would. Chunks double from small (a quiet room holds little) up to a cap; a frame larger than
 * the cap gets a chunk of its own size. A chunk is freed by the GC once no live view points in.
 */
const CHUNK_MIN = 1024;
const CHUNK_MAX = 64 * 1024;

class FrameChunks {
  private chunk: Buffer | null = null;
  private used = 0;

  /** A copy of `frame` in this room's chunks. */
  copy(frame: Buffer): Buffer {
    const len = frame.length;
    let chunk = this.chunk;
    if (!chunk || this.used + len > chunk.length) {
      const size = Math.max(len, chunk ? Math.min(CHUNK_MAX, chunk.length * 2) : CHUNK_MIN);
      chunk = this.chunk = Buffer.allocUnsafeSlow(size);
      this.used = 0;
    }
    frame.copy(chunk, this.used);
    const view = chunk.subarray(this.used, this.used + len);
    this.used += len;
    return view;
  }
}

export class MessageLog {
  private readonly chunks = new FrameChunks();
  /**
   * Columns, one slot per message, in step. `[0, head)` are dead slots; their frames are cleared
   * so that they pin no chunk until compaction.
   */
  private frames: (Buffer | undefined)[] = [];
  private seqs: number[] = [];
  private times: number[] = [];
  /** `ts + ttl_ms`, or Infinity for a message without a TTL. */
  private deadlines: number[] = [];
  /** What each message counts against the buffer limit (messageBytes). */
  private costs: number[] = [];
  private head = 0;
  /** Earliest deadline among buffered messages; Infinity when none carries a TTL. */
  private nextExpiry = Infinity;
  /** Bytes of the live window, counted with the per-message overhead. */
  bytes = 0;

  get length(): number {
    return this.seqs.length - this.head;
  }

  get firstSeq(): number {
    return this.length > 0 ? this.seqs[this.head]! : 0;
  }

  get lastSeq(): number {
    return this.length > 0 ? this.seqs[this.seqs.length - 1]! : 0;
  }

  /** Keep `message`, whose delivery frame is `frame` (the bytes are copied). */
  push(message: StoredMessage, frame: Buffer): void {
    const cost = messageBytes(message);
    const deadline = message.ttl_ms !== undefined ? message.ts + message.ttl_ms : Infinity;
    this.frames.push(this.chunks.copy(frame));
    this.seqs.push(message.seq);
    this.times.push(message.ts);
    this.deadlines.push(deadline);
    this.costs.push(cost);
    this.bytes += cost;
    if (deadline < this.nextExpiry) this.nextExpiry = deadline;
  }

  /**
   * Drop what is older than the replay window, beyond the count cap, or past its own TTL.
   * Returns the bytes freed.
   */
  prune(now: number): number {
    const before = this.bytes;
    const end = this.seqs.length;
    const maxAge = now - LIMITS.replayMaxAgeMs;
    let h = this.head;
    while (h < end && (this.times[h]! <= maxAge || end - h > LIMITS.replayMaxMessages)) {
      this.bytes -= this.costs[h]!;
      this.frames[h++] = undefined;
    }
    this.head = h;
    if (now >= this.nextExpiry) this.dropExpired(now);
    else if (this.head >= MIN_COMPACT && this.head >= this.length) this.compact();
    return before - this.bytes;
  }

  /** Index (0-based within the live window) of the first message with seq > after. */
  firstAfter(after: number): number {
    const seqs = this.seqs;
    let lo = this.head;
    let hi = seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqs[mid]! <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo - this.head;
  }

  /** The message at a live-window index, decoded from its frame. */
  at(i: number): StoredMessage | undefined {
    const frame = this.frameAt(i);
    return frame && parseMessageFrame(frame);
  }

  /** The delivery frame's bytes of the message at a live-window index. */
  frameAt(i: number): Buffer | undefined {
    return i >= 0 ? this.frames[this.head + i] : undefined;
  }

  seqAt(i: number): number | undefined {
    return i >= 0 && i < this.length ? this.seqs[this.head + i] : undefined;
  }

  /** Up to `limit` messages with seq > after, oldest first. */
  after(after: number, limit: number): StoredMessage[] {
    const out: StoredMessage[] = [];
    for (let i = this.firstAfter(after); i < this.length && out.length < limit; i++) out.push(this.at(i)!);
    return out;
  }

  bySeq(seq: number): StoredMessage | undefined {
    const i = this.firstAfter(seq - 1);
    return this.seqAt(i) === seq ? this.at(i) : undefined;
  }

  private dropExpired(now: number): void {
    const { frames, seqs, times, deadlines, costs } = this;
    let next = Infinity;
    let w = 0;
    for (let r = this.head; r < seqs.length; r++) {
      const deadline = deadlines[r]!;
      if (deadline <= now) {
        this.bytes -= costs[r]!;
        continue;
      }
      if (deadline < next) next = deadline;
      frames[w] = frames[r];
      seqs[w] = seqs[r]!;
      times[w] = times[r]!;
      deadlines[w] = deadline;
      costs[w] = costs[r]!;
      w++;
    }
    frames.length = seqs.length = times.length = deadlines.length = costs.length = w;
    this.head = 0;
    this.nextExpiry = next;
  }

  private compact(): void {
    const h = this.head;
    this.frames = this.frames.slice(h);
    this.seqs = this.seqs.slice(h);
    this.times = this.times.slice(h);
    this.deadlines = this.deadlines.slice(h);
    this.costs = this.costs.slice(h);
    this.head = 0;
  }
}
