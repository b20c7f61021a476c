/**
 * The room's IndexedDB side: what is read at open (frames, tombstones, cursor), frames and
 * tombstones written as they arrive, and the resume cursor written at most twice a second.
 * Every write is fire-and-forget: a browser without storage still chats.
 */
import type { MessageFrame } from '@protocol/schemas/frames.js';
import * as db from '../storage/db.js';
import { pruneTombstones } from './chatState.js';

/** A message frame as the room handles it; `restored` marks a peer's history item re-sealed here. */
export type RoomFrame = Omit<MessageFrame, 'type'> & { restored?: boolean; own?: boolean };

export interface OpeningCache {
  /** Frames still alive by the relay's clock, in seq order. */
  frames: db.StoredFrame[];
  /** Pruned tombstones plus the ids that expired while the room was closed. */
  tombstones: Record<string, number>;
  lastSeq: number;
}

const CURSOR_FLUSH_MS = 500;

export function toStoredFrame(roomId: string, f: RoomFrame): db.StoredFrame {
  const rec: db.StoredFrame = {
    roomId,
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
  if (f.own) rec.own = true;
  return rec;
}

export class FrameCache {
  private seq = 0;
  private cursorDirty = false;
  private cursorTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly roomId: string) {}

  /** One read of everything this room keeps (side by side); expiry counts as a delete. */
  async open(serverNow: number, now: number): Promise<OpeningCache> {
    const [tomb, stored, room] = await Promise.all([
      db.loadTombstones(this.roomId),
      db.loadFrames(this.roomId),
      db.getRoom(this.roomId),
    ]);
    performance.mark('room-cache-read', { detail: stored.length });
    const pruned = pruneTombstones(tomb, now);
    if (pruned !== tomb) void db.replaceTombstones(this.roomId, pruned).catch(() => undefined);
    const expired = stored.filter((f) => db.isExpiredFrame(f, serverNow)).map((f) => f.id);
    if (expired.length) this.tombstone(expired, now);
    const frames = expired.length ? stored.filter((f) => !db.isExpiredFrame(f, serverNow)) : stored;
    this.seq = room?.lastSeq ?? 0;
    return {
      frames,
      tombstones: { ...pruned, ...Object.fromEntries(expired.map((id) => [id, now])) },
      lastSeq: this.seq,
    };
  }

  /** Write frames in one transaction. */
  put(frames: RoomFrame[]): void {
    if (!frames.length) return;
    void db.putFrames(frames.map((f) => toStoredFrame(this.roomId, f))).catch(() => undefined);
  }

  /** Record tombstones (which also drops their frames). */
  tombstone(ids: string[], now: number): void {
    if (!ids.length) return;
    void db.putTombstones(this.roomId, Object.fromEntries(ids.map((id) => [id, now]))).catch(() => undefined);
  }

  drop(ids: string[]): void {
    void db.deleteFrames(this.roomId, ids).catch(() => undefined);
  }

  /** Frames whose TTL ran out by `now`, removed from storage; the caller tombstones them. */
  sweepExpired(now: number): Promise<string[]> {
    return db.sweepExpired(this.roomId, now).catch(() => [] as string[]);
  }

  forget(): Promise<void> {
    return db.forgetRoom(this.roomId).catch(() => undefined);
  }

  /** The highest seq seen: the `after` of the next (re)connect. */
  get lastSeq(): number {
    return this.seq;
  }

  bumpCursor(seq: number): void {
    if (seq <= this.seq) return;
    this.seq = seq;
    this.cursorDirty = true;
    this.cursorTimer ??= setTimeout(() => this.flushCursor(), CURSOR_FLUSH_MS);
  }

  flushCursor(): void {
    if (this.cursorTimer) clearTimeout(this.cursorTimer);
    this.cursorTimer = null;
    if (!this.cursorDirty) return;
    this.cursorDirty = false;
    void db.putRoom({ roomId: this.roomId, lastSeq: this.seq, openedAt: Date.now() }).catch(() => undefined);
  }
}
