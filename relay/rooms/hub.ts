/**
 * The node-local side of rooms: open streams and parked long-polls, and the fan-out to them.
 * Shared state (sequence, buffer, lock, cursors) is the backend's; the hub only listens to it.
 */
import {
  ERR,
  type LockedFrame,
  type PresenceFrame,
  type ReadyFrame,
  type RenameFrame,
  type StoredMessage,
} from '../../protocol/index.js';
import { OutFrame, type Subscriber, type Waiter } from './subscriber.js';
import type { PresenceEntry, RoomBackend } from './types.js';

interface LocalRoom {
  subs: Set<Subscriber>;
  waiters: Set<Waiter>;
  presenceTimer: NodeJS.Timeout | null;
  /** Members that said hello within the last rename interval; null when there are none. */
  hellos: Map<Subscriber, HelloState> | null;
  helloTimer: NodeJS.Timeout | null;
}

/** One member's throttled hellos: what the room last heard, and whether it has news since. */
interface HelloState {
  /** When its rename and presence last went out. */
  at: number;
  /** The name the room last heard from it. */
  heard: string | null;
  dirty: boolean;
}

/** Presence changes within this window go out as one frame: a join storm stays linear. */
const PRESENCE_COALESCE_MS = 10;

const LOCKED_FRAME = JSON.stringify({ type: 'locked' } satisfies LockedFrame);

export type JoinResult = { ok: true } | { ok: false; error: string };

export class Hub {
  private readonly rooms = new Map<string, LocalRoom>();
  private streams = 0;
  /** Called for every evicted room, on every node (attachments go with their room). */
  onEvicted: (roomId: string) => void = () => {};
  /** Message frames handed to local subscribers and waiters (read by metrics). */
  delivered = 0;

  constructor(
    private readonly backend: RoomBackend,
    private readonly now: () => number,
    private readonly renameIntervalMs = 1000,
  ) {
    backend.attach(
      {
        message: (roomId, seq, frame, decode) => this.fanOut(roomId, seq, frame, decode),
        locked: (roomId) => this.broadcast(roomId, LOCKED_FRAME),
        presence: (roomId) => this.schedulePresence(roomId),
        evicted: (roomId) => this.onEvicted(roomId),
      },
      { has: (roomId) => this.isBusy(roomId), list: () => this.busyRooms() },
    );
  }

  get streamCount(): number {
    return this.streams;
  }

  isBusy(roomId: string): boolean {
    const r = this.rooms.get(roomId);
    return !!r && (r.subs.size > 0 || r.waiters.size > 0);
  }

  private busyRooms(): Set<string> {
    const out = new Set<string>();
    for (const [id, r] of this.rooms) if (r.subs.size > 0 || r.waiters.size > 0) out.add(id);
    return out;
  }

  subscriberCount(roomId: string): number {
    return this.rooms.get(roomId)?.subs.size ?? 0;
  }

  /**
   * Attach a stream: replay what is newer than `after`, then `ready`, then go live. The
   * subscriber is registered before the replay is read, and live messages that race the read
   * are held in `pending` and deduplicated by seq, so nothing is lost or sent twice.
   */
  async join(roomId: string, sub: Subscriber, after: number): Promise<JoinResult> {
    const now = this.now();
    const made = await this.backend.ensure(roomId, now, sub.ip);
    if (made !== 'ok') return { ok: false, error: made === 'room_cap' ? ERR.roomCap : ERR.roomQuota };
    const room = this.local(roomId);
    const before = await this.backend.presence(roomId, now, localPresence(room));
    sub.pending = [];
    room.subs.add(sub);
    this.streams++;
    // Marks the room busy (on every node, with a shared backend) before the client hears
    // `ready`, so nothing it does next can find the room evictable.
    await this.backend.touch(roomId, now);
    const read = await this.backend.replay(roomId, after, now);
    let lastSent = after;
    if (read) {
      for (const r of read.frames) {
        sub.send(r.frame);
        lastSent = r.seq;
      }
    }
    const lastSeq = read?.lastSeq ?? 0;
    const oldest = read?.oldestSeq ?? 0;
    const info = await this.backend.info(roomId, now);
    const ready: ReadyFrame = {
      type: 'ready',
      roomId,
      size: before.size + 1,
      participants: before.participants,
      last_seq: lastSeq,
      signed_only: info?.signedOnly ?? false,
    };
    // A gap: the client resumes from a point older than anything retained, so messages between
    // its `after` and the oldest retained one are gone from this relay.
    if (after > 0 && oldest > 0 && after < oldest - 1) {
      ready.gap = true;
      ready.oldest_seq = oldest;
    }
    sub.send(new OutFrame(JSON.stringify(ready)));
    const pending = sub.pending;
    sub.pending = null;
    for (const p of pending) if (p.seq > lastSent) sub.send(p.frame);
    this.presenceChanged(roomId);
    return { ok: true };
  }

  leave(roomId: string, sub: Subscriber): void {
    const room = this.rooms.get(roomId);
    if (!room || !room.subs.delete(sub)) return;
    this.streams--;
    if (room.hellos?.delete(sub) && room.hellos.size === 0) this.stopHellos(room);
    this.backend.touch(roomId, this.now()).catch(() => {});
    this.presenceChanged(roomId);
    this.dropIfIdle(roomId, room);
  }

  /**
   * A subscriber said hello (its name or key may have changed; `from` is its name before). Each
   * member's rename and presence go out at once, then at most once per interval with the latest
   * name: a hello storm costs O(1) broadcasts per member and interval, not one per frame.
   */
  rename(roomId: string, sub: Subscriber, from: string | null): void {
    const room = this.rooms.get(roomId);
    if (!room || !room.subs.has(sub)) return;
    const state = room.hellos?.get(sub);
    if (state) {
      state.dirty = true;
      return;
    }
    if (from !== null && sub.name !== null && from !== sub.name)
      this.broadcast(roomId, renameFrame(from, sub.name));
    this.presenceChanged(roomId);
    (room.hellos ??= new Map()).set(sub, { at: this.now(), heard: sub.name, dirty: false });
    if (!room.helloTimer) this.armHellos(roomId, room, this.renameIntervalMs);
  }

  /** Participants as everyone sees them: this node's subscribers merged by the backend. */
  presence(roomId: string): ReturnType<RoomBackend['presence']> {
    const room = this.rooms.get(roomId);
    return this.backend.presence(roomId, this.now(), room ? localPresence(room) : { size: 0, entries: [] });
  }

  park(roomId: string, w: Waiter): void {
    this.local(roomId).waiters.add(w);
  }

  unpark(roomId: string, w: Waiter): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    room.waiters.delete(w);
    this.dropIfIdle(roomId, room);
  }

  /** Parked long-polls over all rooms on this node. */
  waiterTotal(): number {
    let n = 0;
    for (const r of this.rooms.values()) n += r.waiters.size;
    return n;
  }

  waiterCount(roomId: string): number {
    return this.rooms.get(roomId)?.waiters.size ?? 0;
  }

  broadcast(roomId: string, json: string): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    const frame = new OutFrame(json);
    for (const s of room.subs) s.send(frame);
  }

  closeAll(): void {
    for (const room of this.rooms.values()) {
      if (room.presenceTimer) clearTimeout(room.presenceTimer);
      this.stopHellos(room);
      for (const s of room.subs) s.close('shutdown');
      for (const w of room.waiters) w.wake();
    }
    this.rooms.clear();
  }

  /** One frame for every subscriber, whatever the transport; the message is decoded for waiters only. */
  private fanOut(roomId: string, seq: number, frame: OutFrame, decode: () => StoredMessage): void {
    const room = this.rooms.get(roomId);
    if (!room) return;
    this.delivered += room.subs.size + room.waiters.size;
    for (const s of room.subs) {
      if (s.pending) s.pending.push({ seq, frame });
      else s.send(frame);
    }
    if (room.waiters.size > 0) {
      const waiters = [...room.waiters];
      room.waiters.clear();
      const m = decode();
      for (const w of waiters) w.wake(m);
    }
  }

  /** This node's subscribers changed: publish them, and the backend tells every node. */
  private presenceChanged(roomId: string): void {
    const room = this.rooms.get(roomId);
    const local = room ? localPresence(room) : { size: 0, entries: [] };
    void this.backend.setLocalPresence(roomId, local.size, local.entries, this.now());
  }

  private schedulePresence(roomId: string): void {
    const room = this.rooms.get(roomId);
    if (!room || room.presenceTimer) return;
    room.presenceTimer = setTimeout(() => {
      room.presenceTimer = null;
      void this.sendPresence(roomId);
    }, PRESENCE_COALESCE_MS);
  }

  private armHellos(roomId: string, room: LocalRoom, delayMs: number): void {
    room.helloTimer = setTimeout(() => this.flushHellos(roomId, room), delayMs);
    room.helloTimer.unref();
  }

  private stopHellos(room: LocalRoom): void {
    if (room.helloTimer) clearTimeout(room.helloTimer);
    room.helloTimer = null;
    room.hellos = null;
  }

  /** Members whose interval is over: news goes out (the latest name wins), the quiet are forgotten. */
  private flushHellos(roomId: string, room: LocalRoom): void {
    room.helloTimer = null;
    const hellos = room.hellos;
    if (!hellos || this.rooms.get(roomId) !== room) return;
    const now = this.now();
    const interval = this.renameIntervalMs;
    let changed = false;
    let nextDue = Infinity;
    for (const [sub, st] of hellos) {
      // A wall clock stepping back must not hold a member's news until it catches up.
      if (now < st.at) st.at = now;
      if (now - st.at < interval) {
        nextDue = Math.min(nextDue, st.at + interval);
        continue;
      }
      if (!st.dirty) {
        hellos.delete(sub);
        continue;
      }
      if (st.heard !== null && sub.name !== null && st.heard !== sub.name)
        this.broadcast(roomId, renameFrame(st.heard, sub.name));
      st.heard = sub.name;
      st.at = now;
      st.dirty = false;
      changed = true;
      nextDue = Math.min(nextDue, now + interval);
    }
    if (changed) this.presenceChanged(roomId);
    if (hellos.size === 0) room.hellos = null;
    else this.armHellos(roomId, room, Math.min(interval, Math.max(1, nextDue - now)));
  }

  private async sendPresence(roomId: string): Promise<void> {
    const room = this.rooms.get(roomId);
    if (!room) return;
    if (room.subs.size === 0) {
      this.dropIfIdle(roomId, room);
      return;
    }
    const now = this.now();
    const p = await this.backend.presence(roomId, now, localPresence(room));
    const frame = new OutFrame(
      JSON.stringify({
        type: 'presence',
        size: p.size,
        names: p.names,
        participants: p.participants,
      } satisfies PresenceFrame),
    );
    for (const s of room.subs) {
      if (s.transport === 'sse') s.lastSeen = now;
      s.send(frame);
    }
  }

  private local(roomId: string): LocalRoom {
    let r = this.rooms.get(roomId);
    if (!r) {
      r = { subs: new Set(), waiters: new Set(), presenceTimer: null, hellos: null, helloTimer: null };
      this.rooms.set(roomId, r);
    }
    return r;
  }

  private dropIfIdle(roomId: string, room: LocalRoom): void {
    if (room.subs.size === 0 && room.waiters.size === 0 && !room.presenceTimer) this.rooms.delete(roomId);
  }
}

function renameFrame(from: string, to: string): string {
  return JSON.stringify({ type: 'rename', from, to } satisfies RenameFrame);
}

/** Live subscribers that declared a name, deduplicated by name (the first one wins). */
function localPresence(room: LocalRoom): { size: number; entries: PresenceEntry[] } {
  const entries: PresenceEntry[] = [];
  const seen = new Map<string, PresenceEntry>();
  for (const s of room.subs) {
    if (!s.name) continue;
    const first = seen.get(s.name);
    if (first) {
      // Two kinds of client under one name: claim neither.
      if (first.client !== (s.client ?? undefined)) delete first.client;
      continue;
    }
    const e: PresenceEntry = { name: s.name, lastSeen: s.lastSeen };
    if (s.boxPub) e.box_pub = s.boxPub;
    if (s.client) e.client = s.client;
    seen.set(s.name, e);
    entries.push(e);
  }
  return { size: room.subs.size, entries };
}
