/**
 * One room's replay buffer in memory: messages in seq order, dropped from the front by age and
 * count, and from anywhere when their own TTL runs out.
 *
 * Each message is kept only as its delivery frame's UTF-8 bytes, copied into this room's own
 * byte chunks, with its seq, time, deadline, cost and place in a row of a typed ring. A message
 * held as an object with four strings was five objects on the JS heap; 200 busy rooms hold
 * 400,000 messages, and every major GC marked two million objects on the one core the relay has
 * (bench/gc-retention.ts measures it). Held this way a message is no object at all: its bytes are
 * outside the heap and its numbers are unboxed, so the marker has nothing to visit. Reads decode
 * the few messages they return; a WebSocket or SSE replay sends the bytes as they are.
 *
 * A full room drops one message per append. Removing it with `splice(0, 1)` moved all 2,000
 * entries on every post (8% of the relay's time under HTTP ingest, docs/PERFORMANCE.md); a ring
 * drops it in O(1), and unlike a growing array that is compacted now and then it makes no
 * garbage either. TTL expiry is scanned for only when the earliest deadline in the buffer has
 * passed, not on every call.
 *
 * The buffer fuse counts what a room really holds (`accounted`): one message without a TTL among
 * expiring ones used to pin every later chunk while only the live messages were counted, and
 * resident memory went far past the fuse.
 */
import { LIMITS } from '../../protocol/index.js';
import { parseMessageFrame } from './messageFrame.js';
import type { AddressLedger } from '../limits/addressLedger.js';
import type { StoredMessage } from './types.js';

/** What a message counts against the relay's buffer limit: its ciphertext plus a fixed overhead. */
export function messageBytes(m: StoredMessage): number {
  return m.ciphertext.length + LIMITS.messageOverheadBytes;
}

/**
 * A room's frames are copied into chunks of its own, so a message kept for a day pins only its
 * own room's bytes, never another room's dead ones, as slices of Node's shared 8 KiB Buffer pool
 * would. Chunks double from small (a quiet room holds little) up to a cap; a frame larger than
 * the cap gets a chunk of its own size. Chunks are numbered in order of allocation, and a message
 * is found by (chunk number, offset, length): no object per message, not even a view. Chunks are
 * let go from the front once no live message is in them; a live message further back can still
 * pin dead ones, so the log counts what its chunks hold and compacts them (MessageLog.dropped).
 */
const CHUNK_MIN = 1024;
const CHUNK_MAX = 64 * 1024;

class FrameChunks {
  /** Chunks numbered `[firstNo, firstNo + list.length)`; frames go into the last one. */
  private list: Buffer[] = [];
  private firstNo = 0;
  private used = 0;
  /** Where the last `append` put its frame, in the chunk whose number it returned. */
  lastOffset = 0;
  /** Bytes of every chunk held, used or not. */
  held = 0;

  /** `lastSize` sets the first chunk's size: a compaction sizes it to the frames it moves. */
  constructor(private lastSize = 0) {}

  /** Bytes not yet written at the end of the last chunk: room for new frames, not dead ones. */
  get tailFree(): number {
    const last = this.list[this.list.length - 1];
    return last ? last.length - this.used : 0;
  }

  /** Copy `src[start, end)` in; returns its chunk's number, with the offset in `lastOffset`. */
  append(src: Buffer, start = 0, end = src.length): number {
    const len = end - start;
    let chunk = this.list[this.list.length - 1];
    if (!chunk || this.used + len > chunk.length) {
      this.lastSize = Math.max(len, this.lastSize > 0 ? Math.min(CHUNK_MAX, this.lastSize * 2) : CHUNK_MIN);
      chunk = Buffer.allocUnsafeSlow(this.lastSize);
      this.list.push(chunk);
      this.held += chunk.length;
      this.used = 0;
    }
    src.copy(chunk, this.used, start, end);
    this.lastOffset = this.used;
    this.used += len;
    return this.firstNo + this.list.length - 1;
  }

  chunk(no: number): Buffer {
    return this.list[no - this.firstNo]!;
  }

  /** Let go of every chunk numbered below `no` (all of them when nothing is live). */
  releaseBelow(no: number): void {
    const drop = Math.min(no - this.firstNo, this.list.length);
    if (drop <= 0) return;
    for (const gone of this.list.splice(0, drop)) this.held -= gone.length;
    this.firstNo += drop;
    if (this.list.length === 0) {
      // An emptied room starts again from a small chunk.
      this.used = 0;
      this.lastSize = 0;
    }
  }
}

/** Fields of a message's row: seq, ts, deadline (`ts + ttl_ms`, or Infinity), cost, where its frame is, and who sent it. */
const SEQ = 0;
const TS = 1;
const DEADLINE = 2;
const COST = 3;
const CHUNK = 4;
const OFFSET = 5;
const LENGTH = 6;
const OWNER = 7;
const STRIDE = 8;
/** Ring capacities are powers of two; a full room's (replayMaxMessages) is reached by doubling. */
const RING_MIN = 16;
/**
 * Dead bytes a room may hold inside its chunks before its live frames are copied into fresh ones.
 * A message without a TTL behind short-TTL ones pins every chunk after it; compacting once the
 * dead bytes pass the live ones costs at most one copy of each byte ever appended.
 */
const COMPACT_MIN_DEAD = 4096;

export class MessageLog {
  private chunks = new FrameChunks();
  /**
   * One row of STRIDE numbers per message, in a ring: `start` is the oldest row, `count` rows
   * follow it. Fixed-size and typed, so appending and dropping allocate nothing, and the marker
   * has nothing in it to visit.
   */
  private rows = new Float64Array(RING_MIN * STRIDE);
  private mask = RING_MIN - 1;
  private start = 0;
  private count = 0;
  /** Earliest deadline among buffered messages; Infinity when none carries a TTL. */
  private nextExpiry = Infinity;
  /** Frame bytes of the live messages (what their chunks must hold at least). */
  private liveFrameBytes = 0;
  /** Bytes of the live window, counted with the per-message overhead (the reference's charge). */
  bytes = 0;

  /** `owners`, when given, is charged each message's cost under the owner id `push` is given. */
  constructor(private readonly owners: AddressLedger | null = null) {}

  get length(): number {
    return this.count;
  }

  /** Bytes of the chunks this room's frames occupy (what the process really holds for them). */
  get chunkBytes(): number {
    return this.chunks.held;
  }

  /** What the room really holds: its chunks, dead bytes and free tail included, and its ring. */
  get heldBytes(): number {
    return this.chunks.held + this.rows.byteLength;
  }

  /**
   * What the room counts against the buffer fuse: the reference's charge for its live messages,
   * or what it really holds when that is more, so the fuse bounds the memory and not an estimate.
   */
  get accounted(): number {
    const held = this.chunks.held + this.rows.byteLength;
    return held > this.bytes ? held : this.bytes;
  }

  get firstSeq(): number {
    return this.count > 0 ? this.rows[this.row(0) + SEQ]! : 0;
  }

  get lastSeq(): number {
    return this.count > 0 ? this.rows[this.row(this.count - 1) + SEQ]! : 0;
  }

  /** Keep `message`, whose delivery frame is `frame` (the bytes are copied), sent by ledger id `owner`. */
  push(message: StoredMessage, frame: Buffer, owner = -1): void {
    if (this.count > this.mask) this.resize((this.mask + 1) * 2);
    const cost = messageBytes(message);
    const deadline = message.ttl_ms !== undefined ? message.ts + message.ttl_ms : Infinity;
    const chunkNo = this.chunks.append(frame);
    const r = this.row(this.count++);
    const rows = this.rows;
    rows[r + SEQ] = message.seq;
    rows[r + TS] = message.ts;
    rows[r + DEADLINE] = deadline;
    rows[r + COST] = cost;
    rows[r + CHUNK] = chunkNo;
    rows[r + OFFSET] = this.chunks.lastOffset;
    rows[r + LENGTH] = frame.length;
    rows[r + OWNER] = owner;
    this.bytes += cost;
    this.liveFrameBytes += frame.length;
    if (deadline < this.nextExpiry) this.nextExpiry = deadline;
  }

  /**
   * Drop what is older than the replay window, beyond the count cap, or past its own TTL.
   * Returns the bytes freed (the reference's charge).
   */
  prune(now: number): number {
    const before = this.bytes;
    const rows = this.rows;
    const maxAge = now - LIMITS.replayMaxAgeMs;
    while (this.count > 0) {
      const r = this.row(0);
      if (rows[r + TS]! > maxAge && this.count <= LIMITS.replayMaxMessages) break;
      this.dropFirst(r);
    }
    if (now >= this.nextExpiry) this.dropExpired(now);
    if (this.bytes === before) return 0;
    this.dropped();
    return before - this.bytes;
  }

  /**
   * Drop the oldest messages until the room counts at most `maxAccounted` against the fuse (or
   * is empty): how a room over its share yields. Returns how many went.
   */
  dropOldestTo(maxAccounted: number): number {
    let n = 0;
    while (this.count > 0 && this.accounted > maxAccounted) {
      // Chunks are let go in batches: one per dropped message would compact over and over.
      const target = this.bytes - (this.accounted - maxAccounted);
      do {
        this.dropFirst(this.row(0));
        n++;
      } while (this.count > 0 && this.bytes > target);
      this.dropped();
    }
    return n;
  }

  /** Index (0-based, oldest first) of the first message with seq > after. */
  firstAfter(after: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rows[this.row(mid) + SEQ]! <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The message at an index, decoded from its frame. */
  at(i: number): StoredMessage | undefined {
    if (i < 0 || i >= this.count) return undefined;
    const r = this.row(i);
    const offset = this.rows[r + OFFSET]!;
    return parseMessageFrame(
      this.chunks.chunk(this.rows[r + CHUNK]!),
      offset,
      offset + this.rows[r + LENGTH]!,
    );
  }

  /** The delivery frame's bytes of the message at an index (a view, not a copy). */
  frameAt(i: number): Buffer | undefined {
    if (i < 0 || i >= this.count) return undefined;
    const r = this.row(i);
    const offset = this.rows[r + OFFSET]!;
    return this.chunks.chunk(this.rows[r + CHUNK]!).subarray(offset, offset + this.rows[r + LENGTH]!);
  }

  seqAt(i: number): number | undefined {
    return i >= 0 && i < this.count ? this.rows[this.row(i) + SEQ] : undefined;
  }

  /** Up to `limit` messages with seq > after, oldest first, whose frames total at most `maxBytes` (at least one). */
  after(after: number, limit: number, maxBytes = Infinity): StoredMessage[] {
    const out: StoredMessage[] = [];
    let bytes = 0;
    for (let i = this.firstAfter(after); i < this.count && out.length < limit; i++) {
      bytes += this.rows[this.row(i) + LENGTH]!;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(this.at(i)!);
    }
    return out;
  }

  bySeq(seq: number): StoredMessage | undefined {
    const i = this.firstAfter(seq - 1);
    return this.seqAt(i) === seq ? this.at(i) : undefined;
  }

  /** Where the i-th oldest message's row starts in `rows`. */
  private row(i: number): number {
    return ((this.start + i) & this.mask) * STRIDE;
  }

  /** Removes expired messages from anywhere in the window, keeping the others in order. */
  private dropExpired(now: number): void {
    const rows = this.rows;
    let next = Infinity;
    let kept = 0;
    for (let i = 0; i < this.count; i++) {
      const r = this.row(i);
      const deadline = rows[r + DEADLINE]!;
      if (deadline <= now) {
        this.forget(r);
        continue;
      }
      if (deadline < next) next = deadline;
      // `kept <= i`, so this never overwrites a row still to be read.
      if (kept !== i) rows.copyWithin(this.row(kept), r, r + STRIDE);
      kept++;
    }
    this.count = kept;
    this.nextExpiry = next;
  }

  private dropFirst(r: number): void {
    this.forget(r);
    this.start = (this.start + 1) & this.mask;
    this.count--;
  }

  /** Uncount the message in row `r` (the caller removes the row). */
  private forget(r: number): void {
    const rows = this.rows;
    const cost = rows[r + COST]!;
    this.bytes -= cost;
    this.liveFrameBytes -= rows[r + LENGTH]!;
    if (this.owners) this.owners.release(rows[r + OWNER]!, cost);
  }

  /** After messages went: let go of their chunks, compact what dead bytes remain, shrink the ring. */
  private dropped(): void {
    this.chunks.releaseBelow(this.count > 0 ? this.rows[this.row(0) + CHUNK]! : Infinity);
    const dead = this.chunks.held - this.chunks.tailFree - this.liveFrameBytes;
    if (dead > COMPACT_MIN_DEAD && dead > this.liveFrameBytes) this.compact();
    // A room that emptied out gives back the ring it grew to, in one step.
    const capacity = this.mask + 1;
    if (capacity > RING_MIN && this.count * 4 <= capacity) {
      let next = RING_MIN;
      while (next < this.count * 2) next *= 2;
      this.resize(next);
    }
  }

  /** Copy the live frames, oldest first, into fresh chunks sized to them; the old ones go. */
  private compact(): void {
    const old = this.chunks;
    const fresh = new FrameChunks(Math.max(CHUNK_MIN, this.liveFrameBytes) / 2);
    const rows = this.rows;
    for (let i = 0; i < this.count; i++) {
      const r = this.row(i);
      const offset = rows[r + OFFSET]!;
      rows[r + CHUNK] = fresh.append(old.chunk(rows[r + CHUNK]!), offset, offset + rows[r + LENGTH]!);
      rows[r + OFFSET] = fresh.lastOffset;
    }
    this.chunks = fresh;
  }

  /** A new ring of `capacity` rows (a power of two), oldest first from row 0. */
  private resize(capacity: number): void {
    const rows = new Float64Array(capacity * STRIDE);
    // The live rows are at most two runs: from `start` to the ring's end, then from its front.
    const first = Math.min(this.count, this.mask + 1 - this.start);
    rows.set(this.rows.subarray(this.start * STRIDE, (this.start + first) * STRIDE), 0);
    if (first < this.count) rows.set(this.rows.subarray(0, (this.count - first) * STRIDE), first * STRIDE);
    this.rows = rows;
    this.mask = capacity - 1;
    this.start = 0;
  }
}
