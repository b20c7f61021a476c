/**
 * The shared room state behind an interface, so that one node keeps it in memory and a cluster
 * keeps it in Redis without the transports knowing which. Everything node-local
 * (open sockets, parked requests) lives in the Hub instead.
 */
import type { Participant, StoredMessage } from '../../protocol/index.js';
import type { OutFrame } from './subscriber.js';

export type { StoredMessage, Participant };

export interface MessageDraft {
  sender: string;
  sender_verified: boolean;
  ciphertext: string;
  nonce: string;
  ttl_ms?: number;
  reply_to?: string;
}

/**
 * A stored message in the wire's field order. Both backends stamp with this, so a message looks
 * the same whichever node stored it. Built field by field: one object shape for every message,
 * which keeps JSON.stringify on its fast path.
 */
export function storedMessage(seq: number, draft: MessageDraft, id: string, now: number): StoredMessage {
  const m: StoredMessage = {
    seq,
    id,
    sender: draft.sender,
    sender_verified: draft.sender_verified,
    ciphertext: draft.ciphertext,
    nonce: draft.nonce,
    ts: now,
  };
  if (draft.ttl_ms !== undefined && draft.ttl_ms > 0) m.ttl_ms = draft.ttl_ms;
  if (draft.reply_to) m.reply_to = draft.reply_to;
  return m;
}

export type AppendOutcome =
  /** `repeated`: the room already holds a message with this nonce; `message` carries its id and seq. */
  | { ok: true; message: StoredMessage; locked: boolean; repeated?: true }
  | { ok: false; reason: 'room_cap' | 'byte_fuse' | 'needs_sig' | 'locked' | 'room_quota' | 'byte_quota' }
  /** `expected_last_seq` was given and the room's last_seq is `lastSeq` instead. */
  | { ok: false; reason: 'moved_on'; lastSeq: number };

/**
 * Whether a room exists or could be made: `room_cap` when the relay's room cap is reached and
 * nothing can be evicted, `room_quota` when the asking address already made its share of rooms.
 */
export type EnsureOutcome = 'ok' | 'room_cap' | 'room_quota';

export interface RoomInfo {
  createdAt: number;
  lastActive: number;
  signedOnly: boolean;
  count: number;
  lastSeq: number;
  oldestSeq: number;
}

export interface ReadResult {
  messages: StoredMessage[];
  lastSeq: number;
  oldestSeq: number;
}

/** What a stream replays on join: every retained message newer than a seq, as frames. */
export interface ReplayResult {
  frames: Array<{ seq: number; frame: OutFrame }>;
  lastSeq: number;
  oldestSeq: number;
}

export interface PresenceEntry {
  name: string;
  box_pub?: string;
  lastSeen: number;
  /** Set only when every live subscriber under this name said the same client kind. */
  client?: string;
}

export interface LocalPresence {
  size: number;
  entries: PresenceEntry[];
}

/** A claim: a leased message, nothing claimable yet, or no such room (the cursor kept anyway). */
export type ClaimOutcome =
  | { kind: 'hit'; claimId: string; message: StoredMessage; cursor: number; lastSeq: number }
  | { kind: 'empty'; cursor: number; lastSeq: number }
  | { kind: 'missing'; cursor: number };

export type AckOutcome = { ok: true; advanced: boolean; cursor: number } | { ok: false; cursor: number };

/** The rooms this node must keep (open streams, parked waiters): the hub answers, backends ask. */
export interface BusyRooms {
  has(roomId: string): boolean;
  /** Every busy room, for refreshing this node's marks. */
  list(): Iterable<string>;
}

/** Events a backend raises for every node, including the one that caused them. */
export interface BackendEvents {
  /**
   * A stored message: its seq, its frame as every subscriber gets it (built once), and the
   * message itself, decoded only when a parked long-poll needs it.
   */
  message(roomId: string, seq: number, frame: OutFrame, decode: () => StoredMessage): void;
  locked(roomId: string): void;
  presence(roomId: string): void;
  evicted(roomId: string): void;
}

export interface RoomBackend {
  /** Create the room if needed. `owner` is the asking client's address key (per-address quotas). */
  ensure(roomId: string, now: number, owner?: string): Promise<EnsureOutcome>;
  exists(roomId: string): Promise<boolean>;
  /**
   * Stamp and store a message, honouring the signed-only latch atomically with the append.
   * `signed` says the post carried a valid signature; `lock` that it asked to lock the room.
   */
  /**
   * May answer synchronously (the memory backend does): a post is then checked, stored, fanned
   * out and answered in one event-loop turn, with no promise allocated on the hot path.
   */
  append(
    roomId: string,
    draft: MessageDraft,
    signed: boolean,
    lock: boolean,
    now: number,
    owner?: string,
    expectedLastSeq?: number,
  ): AppendOutcome | Promise<AppendOutcome>;
  /**
   * Messages with seq > after, oldest first, at most `limit`; null when the room is missing.
   * With `maxBytes`, the list stops before the message that would take its stored size past it
   * (the first message is always included).
   */
  read(
    roomId: string,
    after: number,
    limit: number,
    now: number,
    maxBytes?: number,
  ): Promise<ReadResult | null>;
  /** Messages with seq > after as delivery frames, for a stream's replay; null when the room is missing. */
  replay(roomId: string, after: number, now: number): Promise<ReplayResult | null>;
  info(roomId: string, now: number): Promise<RoomInfo | null>;
  /** Bump lastActive (a parked waiter, a heartbeat, a subscriber joining or leaving). */
  touch(roomId: string, now: number): Promise<void>;
  /** `/listening`: false when the room does not exist. */
  heartbeat(roomId: string, name: string, boxPub: string | null, now: number): Promise<boolean>;
  /**
   * This node's live subscribers for a room changed: share them with the other nodes and raise
   * the `presence` event everywhere, this node included.
   */
  setLocalPresence(roomId: string, size: number, entries: PresenceEntry[], now: number): Promise<void>;
  /** The room's participants: this node's fresh list merged with other nodes' and heartbeats. */
  presence(
    roomId: string,
    now: number,
    local: LocalPresence,
  ): Promise<{ size: number; names: string[]; participants: Participant[] }>;
  claim(
    roomId: string,
    handle: string,
    exclude: ReadonlySet<string>,
    leaseMs: number,
    now: number,
  ): Promise<ClaimOutcome>;
  ack(roomId: string, handle: string, claimId: string, seq: number, now: number): Promise<AckOutcome>;
  /** Periodic pruning and eviction; busy rooms (see attach) are kept. */
  janitor(now: number): Promise<void>;
  roomCount(): Promise<number>;
  /** Wire the node's hub in: where events go, and which rooms must not be evicted. */
  attach(events: BackendEvents, busy: BusyRooms): void;
  close(): Promise<void>;
}
