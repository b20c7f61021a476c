import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  clearAll,
  deleteFrames,
  DB_VERSION,
  forgetRoom,
  getBlobSecret,
  getRoom,
  loadFrames,
  loadTombstones,
  MIGRATIONS,
  openChatDB,
  pruneBlobSecrets,
  putBlobSecret,
  putFrames,
  putRoom,
  putTombstones,
  replaceTombstones,
  resetChatDBForTests,
  sweepExpired,
  type StoredFrame,
} from './db.js';

const f = (roomId: string, id: string, seq: number, extra: Partial<StoredFrame> = {}): StoredFrame => ({
  roomId,
  id,
  seq,
  sender: 's',
  sender_verified: false,
  ciphertext: 'Y3Q=',
  nonce: 'bm9uY2U=',
  ts: 1000,
  ...extra,
});

beforeEach(async () => {
  await clearAll();
});

describe('IndexedDB cache', () => {
  it('has a version equal to its migration count', async () => {
    const db = await openChatDB();
    expect(db.version).toBe(DB_VERSION);
    expect(DB_VERSION).toBe(MIGRATIONS.length);
    expect([...db.objectStoreNames].sort()).toEqual([
      'blob_secrets',
      'frames',
      'outbox',
      'rooms',
      'sent_dms',
      'tombstones',
    ]);
  });

  it("returns a room's frames in seq order, keyed by id (no seq collisions)", async () => {
    await putFrames([f('R1', 'c', 30), f('R1', 'a', 10), f('R2', 'x', 5), f('R1', 'b', 20)]);
    await putFrames([f('R1', 'a', 10)]);
    expect((await loadFrames('R1')).map((x) => x.id)).toEqual(['a', 'b', 'c']);
    await putFrames([f('R1', 'd', 20)]);
    expect((await loadFrames('R1')).map((x) => x.id)).toEqual(['a', 'b', 'd', 'c']);
    await deleteFrames('R1', ['d']);
    expect((await loadFrames('R1')).map((x) => x.id)).toEqual(['a', 'b', 'c']);
  });

  it('tombstones remove frames and persist', async () => {
    await putFrames([f('R1', 'a', 1), f('R1', 'b', 2)]);
    await putTombstones('R1', { a: 5 });
    expect((await loadFrames('R1')).map((x) => x.id)).toEqual(['b']);
    expect(await loadTombstones('R1')).toEqual({ a: 5 });
    await replaceTombstones('R1', {});
    expect(await loadTombstones('R1')).toEqual({});
  });

  it('sweeps expired frames', async () => {
    await putFrames([
      f('R1', 'keep', 1),
      f('R1', 'gone', 2, { ts: 0, ttl_ms: 30_000 }),
      f('R1', 'later', 3, { ts: 0, ttl_ms: 60_000 }),
    ]);
    expect(await sweepExpired('R1', 45_000)).toEqual(['gone']);
    expect((await loadFrames('R1')).map((x) => x.id)).toEqual(['keep', 'later']);
  });

  it('forgets one room, or everything', async () => {
    await putFrames([f('R1', 'a', 1), f('R2', 'b', 1)]);
    await putTombstones('R1', { z: 1 });
    await putRoom({ roomId: 'R1', lastSeq: 7, openedAt: 0 });
    expect((await getRoom('R1'))?.lastSeq).toBe(7);
    await forgetRoom('R1');
    expect(await loadFrames('R1')).toEqual([]);
    expect(await loadTombstones('R1')).toEqual({});
    expect(await getRoom('R1')).toBeUndefined();
    expect(await loadFrames('R2')).toHaveLength(1);
    await clearAll();
    expect(await loadFrames('R2')).toEqual([]);
  });

  it("keeps the uploader's delete secrets until freed, expired or forgotten with the room", async () => {
    const rec = (roomId: string, blobId: string, expiresAt: number) => ({
      roomId,
      blobId,
      secret: `s-${blobId}`,
      expiresAt,
    });
    for (const r of [rec('R1', 'a', 100), rec('R1', 'b', 200), rec('R1', 'c', 300), rec('R2', 'd', 50)])
      await putBlobSecret(r);
    expect((await getBlobSecret('R1', 'b'))?.secret).toBe('s-b');
    await pruneBlobSecrets('R1', 150, 'c');
    expect(await getBlobSecret('R1', 'a')).toBeUndefined();
    expect(await getBlobSecret('R1', 'c')).toBeUndefined();
    expect((await getBlobSecret('R1', 'b'))?.secret).toBe('s-b');
    // Another room's expiry is its own business.
    expect((await getBlobSecret('R2', 'd'))?.secret).toBe('s-d');
    await forgetRoom('R1');
    expect(await getBlobSecret('R1', 'b')).toBeUndefined();
  });

  it('reopens after the connection is dropped', async () => {
    await putFrames([f('R9', 'a', 1)]);
    (await openChatDB()).close();
    resetChatDBForTests();
    expect(await loadFrames('R9')).toHaveLength(1);
  });
});
