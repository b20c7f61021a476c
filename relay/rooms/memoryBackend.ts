/**
 * The embedded default: all room state in this process's memory, nothing on disk.
 */
import { LIMITS, type Participant } from '../../protocol/index.js';
import type { RelayLimits } from '../config.js';
import { AddressLedger } from '../limits/addressLedger.js';
import type {
  AckOutcome,
  AppendOutcome,
  BackendEvents,
  BusyRooms,
  ClaimOutcome,
  EnsureOutcome,
  LocalPresence,
  MessageDraft,
  PresenceEntry,
  ReadResult,
  ReplayResult,
  RoomBackend,
  RoomInfo,
  StoredMessage,
} from './types.js';
import { MessageLog } from './messageLog.js';
import { messageFrame } from './messageFrame.js';
import { OutFrame } from './subscriber.js';
import { storedMessage } from './types.js';
import { uuid } from '../uuid.js';

interface RoomState {
  createdAt: number;
  lastActive: number;
  nextSeq: number;
  signedOnly: boolean;
  log: MessageLog;
  heartbeats: Map<string, { lastSeen: number; box_pub: string | null }>;
  /**
   * nonce → the message it was stored as, for the messages the log still holds (oldest first,
   * never more entries than the log has messages): a repeated post is answered, not stored twice.
   */
  nonces: Map<string, { id: string; seq: number }>;
  /** Id in the room-count ledger of the address that created the room (-1: none given). */
  creator: number;
}

interface CursorState {
  cursor: number;
  inflight: { claimId: string; seq: number; claimedAt: number; leaseMs: number } | null;
}

const HIGH_WATER_MAX = 100_000;
/**
 * When a post would pass the buffer fuse, the largest rooms give up their oldest messages until
 * the buffer is back under this fraction of it: the trim (a sort of the rooms) then runs once per
 * many posts, not on each.
 */
const FUSE_LOW_WATER = 0.9;
/** The share of the room cap in use from which each address is held to its room quota. */
const ROOM_QUOTA_FROM = 0.5;

const NO_EVENTS: BackendEvents = { message() {}, locked() {}, presence() {}, evicted() {} };

export class MemoryBackend implements RoomBackend {
  private readonly rooms = new Map<string, RoomState>();
  /** handle → (roomId → cursor), each inner map kept in least-recently-used order. */
  private readonly cursors = new Map<string, Map<string, CursorState>>();
  /** Sum of every room's `log.accounted`: the bytes the room buffer fuse counts. */
  private bufferedBytes = 0;
  /** Buffered bytes per posting address, and live rooms per creating address. */
  private readonly posters = new AddressLedger();
  private readonly creators = new AddressLedger();
  /**
   * The last seq of rooms evicted recently: a recreated room starts above it even if the clock
   * stepped back or the room issued more seqs than milliseconds passed. Bounded; ids only.
   */
  private readonly highWater = new Map<string, number>();
  private events: BackendEvents = NO_EVENTS;
  private busy: BusyRooms = { has: () => false, list: () => [] };

  constructor(private readonly limits: RelayLimits) {}

  attach(events: BackendEvents, busy: BusyRooms): void {
    this.events = events;
    this.busy = busy;
  }

  async ensure(roomId: string, now: number, owner?: string): Promise<EnsureOutcome> {
    const room = this.getOrCreate(roomId, now, owner);
    return typeof room === 'string' ? room : 'ok';
  }

  /** What the room buffer fuse counts now (tests and health). */
  get bufferBytes(): number {
    return this.bufferedBytes;
  }

  /** What the rooms really hold (a scan; tests check it never passes what the fuse counts). */
  heldBytes(): number {
    let n = 0;
    for (const room of this.rooms.values()) n += room.log.heldBytes;
    return n;
  }

  async exists(roomId: string): Promise<boolean> {
    return this.rooms.has(roomId);
  }

  append(
    roomId: string,
    draft: MessageDraft,
    signed: boolean,
    lock: boolean,
    now: number,
    owner?: string,
    expectedLastSeq?: number,
  ): AppendOutcome {
    // A conditional post to a missing room must not create it just to refuse.
    if (expectedLastSeq !== undefined && expectedLastSeq !== 0 && !this.rooms.has(roomId))
      return { ok: false, reason: 'moved_on', lastSeq: 0 };
    const room = this.getOrCreate(roomId, now, owner);
    if (typeof room === 'string') return { ok: false, reason: room };
    // Before every other check: a retry whose first attempt was stored succeeded, even if the
    // room has since been locked or moved on (its own post moved it). Only the same sealed body
    // is a retry: another body under a used nonce is a new post, as the reference stores it.
    const seen = room.nonces.get(draft.nonce);
    if (
      seen &&
      room.log.length > 0 &&
      seen.seq >= room.log.firstSeq &&
      room.log.bySeq(seen.seq)?.ciphertext === draft.ciphertext
    ) {
      return {
        ok: true,
        message: storedMessage(seen.seq, draft, seen.id, now),
        locked: room.signedOnly,
        repeated: true,
      };
    }
    const cost = draft.ciphertext.length + LIMITS.messageOverheadBytes;
    if (owner !== undefined && this.posters.amountOf(owner) + cost > this.limits.roomBytesPerIp)
      return { ok: false, reason: 'byte_quota' };
    const max = this.limits.roomBufferBytesMax;
    if (cost > max) return { ok: false, reason: 'byte_fuse' };
    if (lock && !room.signedOnly && !signed) return { ok: false, reason: 'needs_sig' };
    if (room.signedOnly && !signed) return { ok: false, reason: 'locked' };
    if (expectedLastSeq !== undefined) {
      // Compared with last_seq as /status would report it now, expired messages pruned first.
      this.prune(room, now);
      if (room.log.lastSeq !== expectedLastSeq)
        return { ok: false, reason: 'moved_on', lastSeq: room.log.lastSeq };
    }
    // Only a post that will be stored makes other rooms yield.
    if (this.bufferedBytes + cost > max && !this.trimLargest(cost)) return { ok: false, reason: 'byte_fuse' };
    // The latch moves only for a post that is stored.
    const lockedNow = lock && !room.signedOnly;
    if (lockedNow) room.signedOnly = true;
    const message = storedMessage(room.nextSeq++, draft, uuid(), now);
    // Built here rather than in the hub because the log keeps the message as these very bytes.
    const frame = new OutFrame(messageFrame(message));
    const log = room.log;
    const before = log.accounted;
    // A room over its own share yields its oldest messages to the new one.
    if (before + cost > this.limits.roomBytesPerRoom) log.dropOldestTo(this.limits.roomBytesPerRoom - cost);
    log.push(message, frame.ws, owner === undefined ? -1 : this.posters.charge(owner, cost));
    log.prune(now);
    this.bufferedBytes += log.accounted - before;
    this.rememberNonce(room, draft.nonce, message);
    room.lastActive = now;
    if (lockedNow) this.events.locked(roomId);
    this.events.message(roomId, message.seq, frame, () => message);
    return { ok: true, message, locked: room.signedOnly };
  }

  async read(
    roomId: string,
    after: number,
    limit: number,
    now: number,
    maxBytes?: number,
  ): Promise<ReadResult | null> {
    const room = this.rooms.get(roomId);
    if (!room) return null;
    this.prune(room, now);
    const log = room.log;
    return { messages: log.after(after, limit, maxBytes), lastSeq: log.lastSeq, oldestSeq: log.firstSeq };
  }

  async replay(roomId: string, after: number, now: number): Promise<ReplayResult | null> {
    const room = this.rooms.get(roomId);
    if (!room) return null;
    this.prune(room, now);
    const log = room.log;
    const frames: ReplayResult['frames'] = [];
    for (let i = log.firstAfter(after); i < log.length; i++)
      frames.push({ seq: log.seqAt(i)!, frame: OutFrame.ofBytes(log.frameAt(i)!) });
    return { frames, lastSeq: log.lastSeq, oldestSeq: log.firstSeq };
  }

  async info(roomId: string, now: number): Promise<RoomInfo | null> {
    const room = this.rooms.get(roomId);
    if (!room) return null;
    this.prune(room, now);
    return {
      createdAt: room.createdAt,
      lastActive: room.lastActive,
      signedOnly: room.signedOnly,
      count: room.log.length,
      lastSeq: room.log.lastSeq,
      oldestSeq: room.log.firstSeq,
    };
  }

  async touch(roomId: string, now: number): Promise<void> {
    const room = this.rooms.get(roomId);
    if (room) room.lastActive = now;
  }

  async heartbeat(roomId: string, name: string, boxPub: string | null, now: number): Promise<boolean> {
    const room = this.rooms.get(roomId);
    if (!room) return false;
    room.lastActive = now;
    room.heartbeats.delete(name);
    room.heartbeats.set(name, { lastSeen: now, box_pub: boxPub });
    // Bounded, oldest first: the reference let one client grow this without limit.
    while (room.heartbeats.size > this.limits.heartbeatsPerRoom) {
      const oldest = room.heartbeats.keys().next().value;
      if (oldest === undefined) break;
      room.heartbeats.delete(oldest);
    }
    this.events.presence(roomId);
    return true;
  }

  async setLocalPresence(roomId: string): Promise<void> {
    // One node: the hub's own list is the whole picture, so there is nothing to share.
    this.events.presence(roomId);
  }

  async presence(
    roomId: string,
    now: number,
    local: LocalPresence,
  ): Promise<{ size: number; names: string[]; participants: Participant[] }> {
    const room = this.rooms.get(roomId);
    return mergePresence([local], room?.heartbeats ?? new Map(), now);
  }

  async claim(
    roomId: string,
    handle: string,
    exclude: ReadonlySet<string>,
    leaseMs: number,
    now: number,
  ): Promise<ClaimOutcome> {
    const room = this.rooms.get(roomId);
    const existing = this.cursors.get(handle)?.get(roomId);
    if (!room) return { kind: 'missing', cursor: existing?.cursor ?? 0 };
    this.prune(room, now);
    const state = this.cursorFor(handle, roomId);
    const log = room.log;
    if (log.length > 0 && state.cursor < log.firstSeq - 1) state.cursor = log.firstSeq - 1;
    const lastSeq = log.lastSeq;
    const inflight = state.inflight;
    if (inflight) {
      if (now - inflight.claimedAt <= inflight.leaseMs) {
        const held = log.bySeq(inflight.seq);
        if (held)
          return { kind: 'hit', claimId: inflight.claimId, message: held, cursor: state.cursor, lastSeq };
      }
      // Expired (redelivery under a new claim id) or pruned meanwhile.
      state.inflight = null;
    }
    for (let i = log.firstAfter(state.cursor); i < log.length; i++) {
      const m = log.at(i)!;
      if (exclude.has(m.sender)) continue;
      const claimId = uuid();
      state.inflight = { claimId, seq: m.seq, claimedAt: now, leaseMs };
      return { kind: 'hit', claimId, message: m, cursor: state.cursor, lastSeq };
    }
    return { kind: 'empty', cursor: state.cursor, lastSeq };
  }

  async ack(roomId: string, handle: string, claimId: string, seq: number, now: number): Promise<AckOutcome> {
    const state = this.cursors.get(handle)?.get(roomId);
    if (!state) return { ok: true, advanced: false, cursor: 0 };
    if (seq !== 0 && seq <= state.cursor) return { ok: true, advanced: false, cursor: state.cursor };
    const f = state.inflight;
    if (!f || now - f.claimedAt > f.leaseMs || f.claimId !== claimId || f.seq !== seq)
      return { ok: false, cursor: state.cursor };
    state.cursor = seq;
    state.inflight = null;
    return { ok: true, advanced: true, cursor: seq };
  }

  async janitor(now: number): Promise<void> {
    for (const [id, room] of this.rooms) {
      this.prune(room, now);
      for (const [name, hb] of room.heartbeats)
        if (now - hb.lastSeen > LIMITS.heartbeatFreshMs) room.heartbeats.delete(name);
      if (!this.busy.has(id) && now - room.lastActive > this.limits.roomGraceMs) this.evict(id, room);
    }
  }

  async roomCount(): Promise<number> {
    return this.rooms.size;
  }

  async close(): Promise<void> {
    for (const [id, room] of this.rooms) this.evict(id, room);
    this.bufferedBytes = 0;
  }

  private getOrCreate(
    roomId: string,
    now: number,
    owner: string | undefined,
  ): RoomState | 'room_cap' | 'room_quota' {
    const found = this.rooms.get(roomId);
    if (found) return found;
    // The quota binds once the relay holds half its cap: a heavy user of a quiet relay is not refused.
    const contended = this.rooms.size >= this.limits.roomsMax * ROOM_QUOTA_FROM;
    if (owner !== undefined && contended && this.creators.amountOf(owner) >= this.limits.roomsPerIp)
      return 'room_quota';
    if (this.rooms.size >= this.limits.roomsMax && !this.evictOldestIdle()) return 'room_cap';
    const log = new MessageLog(this.posters);
    const room: RoomState = {
      createdAt: now,
      lastActive: now,
      // Starting at the wall clock means a room recreated after eviction usually starts above
      // any seq a client saw before, so `after=<old seq>` stays safe.
      nextSeq: Math.max(now, (this.highWater.get(roomId) ?? 0) + 1),
      signedOnly: false,
      log,
      heartbeats: new Map(),
      nonces: new Map(),
      creator: owner === undefined ? -1 : this.creators.charge(owner, 1),
    };
    this.rooms.set(roomId, room);
    this.bufferedBytes += log.accounted;
    return room;
  }

  /** Record a stored post's nonce, forgetting those of messages the log no longer holds. */
  private rememberNonce(room: RoomState, nonce: string, m: StoredMessage): void {
    const nonces = room.nonces;
    nonces.delete(nonce);
    nonces.set(nonce, { id: m.id, seq: m.seq });
    const first = room.log.firstSeq;
    for (const [n, v] of nonces) {
      if (nonces.size <= room.log.length && v.seq >= first) break;
      nonces.delete(n);
    }
  }

  private evictOldestIdle(): boolean {
    let victim: [string, RoomState] | null = null;
    for (const entry of this.rooms) {
      if (this.busy.has(entry[0])) continue;
      if (!victim || entry[1].lastActive < victim[1].lastActive) victim = entry;
    }
    if (!victim) return false;
    this.evict(victim[0], victim[1]);
    return true;
  }

  private evict(id: string, room: RoomState): void {
    // Dropping every message gives each sender's share back; the chunks go with the log.
    const before = room.log.accounted;
    room.log.dropOldestTo(0);
    this.bufferedBytes -= before;
    this.creators.release(room.creator, 1);
    this.highWater.delete(id);
    this.highWater.set(id, room.nextSeq - 1);
    if (this.highWater.size > HIGH_WATER_MAX) {
      const oldest = this.highWater.keys().next().value;
      if (oldest !== undefined) this.highWater.delete(oldest);
    }
    this.rooms.delete(id);
    this.events.evicted(id);
  }

  private prune(room: RoomState, now: number): void {
    const log = room.log;
    const before = log.accounted;
    if (log.prune(now) > 0) this.bufferedBytes += log.accounted - before;
  }

  /**
   * The buffer fuse is reached: rather than refuse every room, the rooms holding the most give
   * up their oldest messages (clients see a `gap`, as when a room's window drops them), down to a
   * common level that brings the buffer under the low-water mark with room for `need`. False
   * when even emptying every room would not make room.
   */
  private trimLargest(need: number): boolean {
    const max = this.limits.roomBufferBytesMax;
    const excess = this.bufferedBytes + need - Math.floor(max * FUSE_LOW_WATER);
    if (excess <= 0) return true;
    const rooms = [...this.rooms.values()].sort((a, b) => b.log.accounted - a.log.accounted);
    // Water-filling: the level L where the top k rooms cut to L free `excess`.
    let sum = 0;
    let level = 0;
    for (let k = 0; k < rooms.length; k++) {
      sum += rooms[k]!.log.accounted;
      const l = (sum - excess) / (k + 1);
      const next = rooms[k + 1]?.log.accounted ?? 0;
      if (l >= next) {
        level = Math.max(0, Math.floor(l));
        break;
      }
    }
    for (const room of rooms) {
      const log = room.log;
      const before = log.accounted;
      if (before <= level) break;
      log.dropOldestTo(level);
      this.bufferedBytes += log.accounted - before;
    }
    return this.bufferedBytes + need <= max;
  }

  private cursorFor(handle: string, roomId: string): CursorState {
    let rooms = this.cursors.get(handle);
    if (!rooms) {
      rooms = new Map();
      this.cursors.set(handle, rooms);
    }
    let state = rooms.get(roomId);
    if (state) {
      rooms.delete(roomId);
    } else {
      state = { cursor: 0, inflight: null };
      if (rooms.size >= LIMITS.cursorRoomsPerHandle) {
        const lru = rooms.keys().next().value;
        if (lru !== undefined) rooms.delete(lru);
      }
    }
    rooms.set(roomId, state);
    return state;
  }
}

/**
 * Participants: live subscribers deduplicated by name (first wins), then heartbeats no older
 * than 60 s whose names are not already listed (reference-relay.md §4). A presence key is one
 * participant: a heartbeat whose box_pub a subscriber or a fresher heartbeat now declares under
 * another name is a name it left behind (an adopted agent), so it is not listed twice.
 */
export function mergePresence(
  nodes: Array<{ size: number; entries: PresenceEntry[] }>,
  heartbeats: Map<string, { lastSeen: number; box_pub: string | null }>,
  now: number,
): { size: number; names: string[]; participants: Participant[] } {
  const seen = new Map<string, Participant>();
  const participants: Participant[] = [];
  let size = 0;
  for (const node of nodes) {
    size += node.size;
    for (const e of node.entries) {
      const first = seen.get(e.name);
      if (first) {
        if (first.client !== e.client) delete first.client;
        continue;
      }
      const p: Participant = { name: e.name, last_seen_ms_ago: Math.max(0, now - e.lastSeen) };
      if (e.box_pub) p.box_pub = e.box_pub;
      if (e.client) p.client = e.client;
      seen.set(e.name, p);
      participants.push(p);
    }
  }
  const names = [...seen.keys()];
  const keyOwner = new Map<string, { name: string; lastSeen: number }>();
  for (const p of participants) if (p.box_pub) keyOwner.set(p.box_pub, { name: p.name, lastSeen: Infinity });
  for (const [name, hb] of heartbeats) {
    if (!hb.box_pub || now - hb.lastSeen > LIMITS.heartbeatFreshMs) continue;
    const owner = keyOwner.get(hb.box_pub);
    if (!owner || owner.lastSeen < hb.lastSeen) keyOwner.set(hb.box_pub, { name, lastSeen: hb.lastSeen });
  }
  for (const [name, hb] of heartbeats) {
    if (now - hb.lastSeen > LIMITS.heartbeatFreshMs) continue;
    if (hb.box_pub && keyOwner.get(hb.box_pub)?.name !== name) continue;
    const listed = seen.get(name);
    if (listed) {
      // A heartbeat is an agent's presence: a web client under the same name no longer vouches.
      delete listed.client;
      continue;
    }
    const p: Participant = { name, last_seen_ms_ago: now - hb.lastSeen };
    if (hb.box_pub) p.box_pub = hb.box_pub;
    participants.push(p);
  }
  return { size, names, participants };
}
