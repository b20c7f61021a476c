/**
 * The on-device cache (IndexedDB via idb). What is stored, and why:
 *
 * - `frames`: the relay's message frames exactly as received: ciphertext, nonce and the
 *   metadata the relay itself sees (seq, id, sender, ts, ttl_ms, reply_to). Chat messages and
 *   reaction envelopes are kept; history chatter is not. Peer-restored items are re-sealed with
 *   the room key before they are stored. So nothing here is readable without the room link, and
 *   a reload replays it through the same decrypt path as live traffic.
 * - `tombstones`: ids deleted (or expired) in a room, so deleted messages never come back.
 * - `rooms`: per-room cursor (highest seq seen), so a reconnect resumes with `after=`.
 * - `sent_dms`: the sender's copy of each DM it sent (the relay keeps a DM only in its
 *   recipient's inbox, sealed to them), sealed to the sender's own box key (dm/sentStore.ts).
 * - `outbox`: room posts not yet acknowledged by the relay, already sealed with the room key
 *   (ciphertext and nonce as they will be posted), so a reload or a closed tab loses nothing and
 *   nothing readable is at rest (room/durableOutbox.ts).
 * - `blob_secrets`: for each file this browser uploaded, the delete secret whose hash the relay
 *   holds (never sent in the room), so that its delete for everyone frees the file; dropped once
 *   the file's own end of life has passed (attachments/deleteSecrets.ts).
 *
 * A new database name (not the reference's `bot2bot-chat`) so the reference's v1 schema on the
 * same origin is never touched. Migrations are append-only: never edit one that has shipped.
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';

export interface StoredFrame {
  roomId: string;
  id: string;
  seq: number;
  sender: string;
  sender_verified: boolean;
  ciphertext: string;
  nonce: string;
  ts: number;
  ttl_ms?: number;
  reply_to?: string;
  /** A history item from a peer, re-sealed locally; its plaintext is a JSON HistoryItem. */
  restored?: boolean;
  /** Sent from this browser (its nonce was ours); never inferred from the label. */
  own?: boolean;
}

export interface TombstoneRecord {
  roomId: string;
  id: string;
  ts: number;
}

export interface RoomRecord {
  roomId: string;
  lastSeq: number;
  openedAt: number;
}

export interface SentDmRecord {
  /** The sender's handle: one device can sign in as several identities in turn. */
  handle: string;
  id: string;
  ts: number;
  /** `{to, text}` as JSON, sealed to the sender's own box key the way a DM to them would be. */
  ciphertext: string;
  nonce: string;
  sender_eph_pub: string;
}

export interface OutboxRecord {
  localId: string;
  roomId: string;
  createdAt: number;
  ciphertext: string;
  nonce: string;
  reply_to?: string;
  ttl_ms?: number;
}

export interface BlobSecretRecord {
  roomId: string;
  blobId: string;
  secret: string;
  /** When the relay drops the blob anyway: the record is useless after it. */
  expiresAt: number;
}

export interface ChatDB extends DBSchema {
  frames: {
    key: [string, string];
    value: StoredFrame;
    indexes: { by_room_seq: [string, number]; by_room: string };
  };
  tombstones: { key: [string, string]; value: TombstoneRecord; indexes: { by_room: string } };
  rooms: { key: string; value: RoomRecord };
  sent_dms: { key: [string, string]; value: SentDmRecord; indexes: { by_handle: string } };
  outbox: { key: string; value: OutboxRecord; indexes: { by_room: string } };
  blob_secrets: { key: [string, string]; value: BlobSecretRecord; indexes: { by_room: string } };
}

type Upgrade = (
  db: IDBPDatabase<ChatDB>,
  tx: IDBPTransaction<ChatDB, StoreNames<ChatDB>[], 'versionchange'>,
) => void;

export const MIGRATIONS: Upgrade[] = [
  (db) => {
    const frames = db.createObjectStore('frames', { keyPath: ['roomId', 'id'] });
    frames.createIndex('by_room_seq', ['roomId', 'seq']);
    frames.createIndex('by_room', 'roomId');
    const tomb = db.createObjectStore('tombstones', { keyPath: ['roomId', 'id'] });
    tomb.createIndex('by_room', 'roomId');
    db.createObjectStore('rooms', { keyPath: 'roomId' });
  },
  (db) => {
    db.createObjectStore('sent_dms', { keyPath: ['handle', 'id'] }).createIndex('by_handle', 'handle');
  },
  (db) => {
    db.createObjectStore('outbox', { keyPath: 'localId' }).createIndex('by_room', 'roomId');
  },
  (db) => {
    db.createObjectStore('blob_secrets', { keyPath: ['roomId', 'blobId'] }).createIndex('by_room', 'roomId');
  },
];

export const DB_NAME = 'bot2bot-web';
export const DB_VERSION = MIGRATIONS.length;

let dbPromise: Promise<IDBPDatabase<ChatDB>> | null = null;

export function openChatDB(): Promise<IDBPDatabase<ChatDB>> {
  dbPromise ??= openDB<ChatDB>(DB_NAME, DB_VERSION, {
    upgrade(db, oldVersion, _newVersion, tx) {
      for (const m of MIGRATIONS.slice(oldVersion)) m(db, tx);
    },
    blocking() {
      // Another tab wants a newer schema: let it, and reopen lazily next time.
      void dbPromise?.then((db) => db.close());
      dbPromise = null;
    },
  });
  return dbPromise;
}

/** For tests: drop the cached connection so a fresh fake-indexeddb can be used. */
export function resetChatDBForTests(): void {
  dbPromise = null;
}

const roomRange = (roomId: string) => IDBKeyRange.bound([roomId, -Infinity], [roomId, Infinity]);

export async function loadFrames(roomId: string): Promise<StoredFrame[]> {
  const db = await openChatDB();
  return db.getAllFromIndex('frames', 'by_room_seq', roomRange(roomId));
}

export async function putFrames(frames: StoredFrame[]): Promise<void> {
  if (!frames.length) return;
  const db = await openChatDB();
  const tx = db.transaction('frames', 'readwrite');
  await Promise.all([...frames.map((f) => tx.store.put(f)), tx.done]);
}

export async function deleteFrames(roomId: string, ids: string[]): Promise<void> {
  if (!ids.length) return;
  const db = await openChatDB();
  const tx = db.transaction('frames', 'readwrite');
  await Promise.all([...ids.map((id) => tx.store.delete([roomId, id])), tx.done]);
}

/** Remove frames whose TTL has run out; returns their ids so callers can tombstone them. */
export async function sweepExpired(roomId: string, now: number): Promise<string[]> {
  const db = await openChatDB();
  const tx = db.transaction('frames', 'readwrite');
  // One getAll and targeted deletes: a cursor step per record costs far more in a big room.
  const all = await tx.store.index('by_room').getAll(roomId);
  const gone = all.filter((f) => isExpiredFrame(f, now)).map((f) => f.id);
  await Promise.all([...gone.map((id) => tx.store.delete([roomId, id])), tx.done]);
  return gone;
}

export function isExpiredFrame(f: Pick<StoredFrame, 'ts' | 'ttl_ms'>, now: number): boolean {
  return !!f.ttl_ms && f.ts + f.ttl_ms <= now;
}

export async function loadTombstones(roomId: string): Promise<Record<string, number>> {
  const db = await openChatDB();
  const rows = await db.getAllFromIndex('tombstones', 'by_room', roomId);
  return Object.fromEntries(rows.map((r) => [r.id, r.ts]));
}

/** Record tombstones and drop the frames they kill, in one transaction. */
export async function putTombstones(roomId: string, entries: Record<string, number>): Promise<void> {
  const ids = Object.keys(entries);
  if (!ids.length) return;
  const db = await openChatDB();
  const tx = db.transaction(['tombstones', 'frames'], 'readwrite');
  const tomb = tx.objectStore('tombstones');
  const frames = tx.objectStore('frames');
  await Promise.all([
    ...ids.map((id) => tomb.put({ roomId, id, ts: entries[id]! })),
    ...ids.map((id) => frames.delete([roomId, id])),
    tx.done,
  ]);
}

/** Replace a room's tombstone set with a pruned one (the 5000 / 30-day limits). */
export async function replaceTombstones(roomId: string, keep: Record<string, number>): Promise<void> {
  const db = await openChatDB();
  const tx = db.transaction('tombstones', 'readwrite');
  for await (const cur of tx.store.index('by_room').iterate(roomId)) {
    if (!(cur.value.id in keep)) await cur.delete();
  }
  await tx.done;
}

export async function getRoom(roomId: string): Promise<RoomRecord | undefined> {
  const db = await openChatDB();
  return db.get('rooms', roomId);
}

export async function putRoom(rec: RoomRecord): Promise<void> {
  const db = await openChatDB();
  await db.put('rooms', rec);
}

export async function listRooms(): Promise<RoomRecord[]> {
  const db = await openChatDB();
  return db.getAll('rooms');
}

/** "Forget this room on this device": frames, tombstones, unsent posts, delete secrets and cursor. */
export async function forgetRoom(roomId: string): Promise<void> {
  const db = await openChatDB();
  const tx = db.transaction(['frames', 'tombstones', 'rooms', 'outbox', 'blob_secrets'], 'readwrite');
  for await (const cur of tx.objectStore('frames').index('by_room').iterate(roomId)) await cur.delete();
  for await (const cur of tx.objectStore('blob_secrets').index('by_room').iterate(roomId)) await cur.delete();
  for await (const cur of tx.objectStore('tombstones').index('by_room').iterate(roomId)) await cur.delete();
  for await (const cur of tx.objectStore('outbox').index('by_room').iterate(roomId)) await cur.delete();
  await tx.objectStore('rooms').delete(roomId);
  await tx.done;
}

/** "Clear all local history": rooms and sent DMs alike. */
export async function clearAll(): Promise<void> {
  const db = await openChatDB();
  const stores = ['frames', 'tombstones', 'rooms', 'sent_dms', 'outbox', 'blob_secrets'] as const;
  const tx = db.transaction(stores, 'readwrite');
  await Promise.all([...stores.map((name) => tx.objectStore(name).clear()), tx.done]);
}

/** A handle's sent DMs, oldest first. */
export async function loadSentDms(handle: string): Promise<SentDmRecord[]> {
  const db = await openChatDB();
  return (await db.getAllFromIndex('sent_dms', 'by_handle', handle)).sort((a, b) => a.ts - b.ts);
}

export async function putSentDm(rec: SentDmRecord): Promise<void> {
  const db = await openChatDB();
  await db.put('sent_dms', rec);
}

export async function deleteSentDm(handle: string, id: string): Promise<void> {
  const db = await openChatDB();
  await db.delete('sent_dms', [handle, id]);
}

/** Every sent DM of a handle: its keys left this device, so the copies could never open again. */
export async function forgetSentDms(handle: string): Promise<void> {
  const db = await openChatDB();
  const tx = db.transaction('sent_dms', 'readwrite');
  for await (const cur of tx.store.index('by_handle').iterate(handle)) await cur.delete();
  await tx.done;
}

/** A room's unsent posts, oldest first. */
export async function loadOutbox(roomId: string): Promise<OutboxRecord[]> {
  const db = await openChatDB();
  return (await db.getAllFromIndex('outbox', 'by_room', roomId)).sort((a, b) => a.createdAt - b.createdAt);
}

export async function getOutbox(localId: string): Promise<OutboxRecord | undefined> {
  const db = await openChatDB();
  return db.get('outbox', localId);
}

export async function putOutbox(rec: OutboxRecord): Promise<void> {
  const db = await openChatDB();
  await db.put('outbox', rec);
}

export async function deleteOutbox(localId: string): Promise<void> {
  const db = await openChatDB();
  await db.delete('outbox', localId);
}

export async function putBlobSecret(rec: BlobSecretRecord): Promise<void> {
  const db = await openChatDB();
  await db.put('blob_secrets', rec);
}

export async function getBlobSecret(roomId: string, blobId: string): Promise<BlobSecretRecord | undefined> {
  const db = await openChatDB();
  return db.get('blob_secrets', [roomId, blobId]);
}

/** Drop a room's delete secrets whose files the relay has dropped anyway (or `blobId`'s). */
export async function pruneBlobSecrets(roomId: string, now: number, blobId?: string): Promise<void> {
  const db = await openChatDB();
  const tx = db.transaction('blob_secrets', 'readwrite');
  for await (const cur of tx.store.index('by_room').iterate(roomId))
    if (cur.value.expiresAt <= now || cur.value.blobId === blobId) await cur.delete();
  await tx.done;
}
