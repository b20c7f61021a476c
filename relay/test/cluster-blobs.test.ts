/**
 * Attachments on two relay nodes over three real redis-servers: a room's blobs live on the room's
 * own shard, any node serves any blob, and the quotas, the global fuse, TTL, delete and eviction
 * hold for the cluster as a whole.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { BLOB_ERR, ERR } from '../../protocol/index.js';
import { SseClient, fakeSealed, getJson, postJson, requestJson } from '../../test-support/clients.js';
import { useCluster } from '../../test-support/clusterFixture.js';
import { freshRedisUrl } from '../../test-support/redis.js';
import { TestClock, type RelayOverrides, type TestRelay } from '../../test-support/relay.js';

const LOTS = { rateBucketCapacity: 10_000, globalBucketCapacity: 10_000 };
const SHARDS = 3;
const { cluster, servers } = useCluster({ limits: LOTS }, SHARDS);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const blobs = (n: TestRelay, room: string) => `${n.url}/api/rooms/${room}/blobs`;

async function start(
  limits: RelayOverrides['limits'] = {},
  clock?: TestClock,
  overrides: RelayOverrides = {},
): Promise<{ a: TestRelay; b: TestRelay; conns: Redis[] }> {
  const url = await freshRedisUrl(
    servers()
      .map((s) => s.url)
      .join(','),
  );
  const [a, b] = await cluster({ ...overrides, redisUrl: url, limits: { ...LOTS, ...limits } }, clock);
  const conns = url.split(',').map((u) => new Redis(u, { maxRetriesPerRequest: 1 }));
  return { a, b, conns };
}

/** One room id per shard, each room created (as a blob upload creates it). */
async function roomPerShard(n: TestRelay, conns: Redis[], tag: string): Promise<string[]> {
  const byShard: Array<string | undefined> = new Array(SHARDS);
  for (let i = 0; byShard.includes(undefined) && i < 100; i++) {
    const id = `${tag}${String(i).padStart(3, '0')}`;
    expect((await postJson(`${n.url}/api/rooms/${id}/messages`, fakeSealed())).status).toBe(200);
    byShard[await shardOf(conns, id)] ??= id;
  }
  return byShard.map((id) => id!);
}

/** Which shard holds the room's own keys. */
async function shardOf(conns: Redis[], room: string): Promise<number> {
  const has = await Promise.all(conns.map((c) => c.exists(`b2b:r:${room}:meta`)));
  return has.indexOf(1);
}

async function upload(n: TestRelay, room: string, bytes: Buffer, extra: Record<string, unknown> = {}) {
  const c = await postJson(blobs(n, room), { size: bytes.length, chunks: 1, ...extra });
  expect(c.status).toBe(200);
  const { blob_id: id, token } = c.json as { blob_id: string; token: string };
  const put = await fetch(`${blobs(n, room)}/${id}/chunks/0`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'x-blob-token': token },
    body: new Uint8Array(bytes),
  });
  expect(put.status).toBe(200);
  return { id, token };
}

async function chunk(n: TestRelay, room: string, id: string): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(`${blobs(n, room)}/${id}/chunks/0`);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

/** Blob keys (meta and chunks) of a room on each shard. */
async function blobKeys(conns: Redis[], room: string): Promise<number[]> {
  return Promise.all(conns.map(async (c) => (await c.keys(`b2b:bl:[mc]:${room}/*`)).length));
}

describe('attachments on a cluster sharded over three Redis servers', () => {
  it("a room's blobs live on its shard; uploaded through one node, served by the other", async () => {
    const { a, b, conns } = await start();
    try {
      // A blob reservation creates its room, so upload first, then look where things landed.
      const used = new Set<number>();
      for (let i = 0; i < 9; i++) {
        const room = `blobshard${i}`;
        const bytes = randomBytes(1000 + i);
        const { id } = await upload(i % 2 ? a : b, room, bytes);
        const s = await shardOf(conns, room);
        expect(s).toBeGreaterThanOrEqual(0);
        used.add(s);
        const keys = await blobKeys(conns, room);
        expect(keys[s]).toBe(2);
        expect(keys.reduce((x, y) => x + y, 0)).toBe(2);
        const got = await chunk(i % 2 ? b : a, room, id);
        expect(got.status).toBe(200);
        expect(got.body.equals(bytes)).toBe(true);
      }
      expect(used.size).toBeGreaterThanOrEqual(2);
    } finally {
      for (const c of conns) c.disconnect();
    }
  });

  it('the room and address quotas and the global fuse count every node and shard; a refusal leaves nothing', async () => {
    const { a, b, conns } = await start({
      blobRoomMaxBytes: 3000,
      blobIpMaxBytes: 1024 * 1024,
      blobGlobalMaxBytes: 5524,
    });
    try {
      const [r0, r1, r2] = await roomPerShard(a, conns, 'fuse');
      expect((await postJson(blobs(a, r0!), { size: 2500, chunks: 1 })).status).toBe(200);
      const room = await postJson(blobs(b, r0!), { size: 1000, chunks: 1 });
      expect(room.status).toBe(429);
      expect(room.json.error).toBe(BLOB_ERR.roomQuota);
      expect((await postJson(blobs(b, r1!), { size: 2000, chunks: 1 })).status).toBe(200);
      const fuse = await postJson(blobs(a, r2!), { size: 1100, chunks: 1 });
      expect(fuse.status).toBe(503);
      expect(fuse.json.error).toBe(BLOB_ERR.globalFuse);
      // The refused reservation was undone on its room's shard.
      expect(await blobKeys(conns, r2!)).toEqual([0, 0, 0]);
      expect(await a.relay.blobs.totalBytes()).toBe(4500);
      expect(await b.relay.blobs.totalBytes()).toBe(4500);
      // A small blob counts as 1 KiB.
      expect((await postJson(blobs(b, r2!), { size: 500, chunks: 1 })).status).toBe(200);
      expect(await a.relay.blobs.totalBytes()).toBe(5524);
      // The cluster-wide ledger is on the first server, and it holds no client address.
      const ledger = await conns[0]!.zrange('b2b:bl:L:iz', '0', '-1', 'WITHSCORES');
      expect(ledger[1]).toBe('5524');
      expect(JSON.stringify([ledger, await conns[0]!.hgetall('b2b:bl:L:m')])).not.toContain('127.0.0.1');
    } finally {
      for (const c of conns) c.disconnect();
    }

    const second = await start({ blobIpMaxBytes: 3000 });
    try {
      const [r0, r1, r2] = await roomPerShard(second.a, second.conns, 'ipq');
      expect((await postJson(blobs(second.a, r0!), { size: 1500, chunks: 1 })).status).toBe(200);
      expect((await postJson(blobs(second.b, r1!), { size: 1500, chunks: 1 })).status).toBe(200);
      const ip = await postJson(blobs(second.a, r2!), { size: 100, chunks: 1 });
      expect(ip.status).toBe(429);
      expect(ip.json.error).toBe(BLOB_ERR.ipQuota);
    } finally {
      for (const c of second.conns) c.disconnect();
    }
  });

  it('delete through the other node, TTL and eviction free the blob everywhere and give its bytes back', async () => {
    const clock = new TestClock();
    const { a, b, conns } = await start({ roomGraceMs: 150, janitorIntervalMs: 50 }, clock);
    try {
      const [r0, r1, r2] = await roomPerShard(a, conns, 'life');
      const held = [r0!, r1!].map((r) => new SseClient(`${a.url}/api/rooms/${r}/events`));
      await Promise.all(held.map((h) => h.next((f) => f.type === 'ready')));

      const del = await upload(a, r0!, randomBytes(800));
      const url = `${blobs(b, r0!)}/${del.id}`;
      expect((await requestJson('DELETE', url, undefined, { 'x-blob-token': 'B'.repeat(22) })).status).toBe(
        403,
      );
      expect((await requestJson('DELETE', url, undefined, { 'x-blob-token': del.token })).status).toBe(200);
      expect((await chunk(a, r0!, del.id)).status).toBe(404);
      expect(await blobKeys(conns, r0!)).toEqual([0, 0, 0]);
      expect(await a.relay.blobs.totalBytes()).toBe(0);

      const short = await upload(b, r1!, randomBytes(700), { ttl_ms: 30_000 });
      expect((await chunk(a, r1!, short.id)).status).toBe(200);
      clock.advance(30_001);
      expect((await chunk(a, r1!, short.id)).status).toBe(404);
      expect((await chunk(b, r1!, short.id)).status).toBe(404);
      await a.relay.blobs.sweep(clock.now());
      expect(await b.relay.blobs.totalBytes()).toBe(0);

      // Nobody holds r2: it is evicted, and its blobs with it, on its own shard.
      const gone = await upload(b, r2!, randomBytes(900));
      const deadline = Date.now() + 10_000;
      while ((await chunk(a, r2!, gone.id)).status !== 404 && Date.now() < deadline) await sleep(50);
      expect((await getJson(`${b.url}/api/rooms/${r2}/status`)).json.exists).toBe(false);
      expect((await chunk(b, r2!, gone.id)).status).toBe(404);
      expect(await blobKeys(conns, r2!)).toEqual([0, 0, 0]);
      while ((await a.relay.blobs.totalBytes()) !== 0 && Date.now() < deadline) await sleep(50);
      expect(await a.relay.blobs.totalBytes()).toBe(0);
      for (const h of held) h.close();
    } finally {
      for (const c of conns) c.disconnect();
    }
  });

  it("at a full room and at the fuse the largest holder's oldest blobs yield on their own shards", async () => {
    const KiB = 1024;
    const { a, b, conns } = await start(
      { blobRoomMaxBytes: 4 * KiB, blobGlobalMaxBytes: 8 * KiB },
      undefined,
      { trustProxy: 'loopback' },
    );
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    const reserve = (n: TestRelay, room: string, ip: string, size: number) =>
      postJson(blobs(n, room), { size, chunks: 1 }, from(ip));
    const alive = async (room: string, id: string) => (await getJson(`${blobs(b, room)}/${id}`)).status;
    try {
      const [r0, r1, r2] = await roomPerShard(a, conns, 'fair');
      // One address takes the whole fuse over two shards, oldest first in r0.
      const big: Array<[string, string]> = [];
      for (const room of [r0!, r1!, r0!, r1!]) {
        const c = await reserve(a, room, '198.51.100.1', 2 * KiB);
        expect(c.status).toBe(200);
        big.push([room, c.json.blob_id]);
      }
      // Another address elsewhere: the holder's oldest blob yields, on r0's shard.
      const other = await reserve(b, r2!, '203.0.113.1', 2 * KiB);
      expect([other.status, other.json.error]).toEqual([200, undefined]);
      expect(await Promise.all(big.map(([room, id]) => alive(room, id)))).toEqual([404, 200, 200, 200]);
      expect((await conns[await shardOf(conns, r0!)]!.keys(`b2b:bl:m:${r0}/${big[0]![1]}`)).length).toBe(0);
      expect(await a.relay.blobs.totalBytes()).toBe(8 * KiB);
      // It cannot take its share back from the smaller holder.
      const back = await reserve(a, r2!, '198.51.100.1', 2 * KiB);
      expect([back.status, back.json.error]).toEqual([503, BLOB_ERR.globalFuse]);

      // r1 is full (two of the holder's blobs): a third address gets in, the ledger gives back.
      const inRoom = await reserve(b, r1!, '203.0.113.2', 1 * KiB);
      expect([inRoom.status, inRoom.json.error]).toEqual([200, undefined]);
      expect(await Promise.all(big.map(([room, id]) => alive(room, id)))).toEqual([404, 404, 200, 200]);
      expect(await a.relay.blobs.totalBytes()).toBe(7 * KiB);
      const ledger = await conns[0]!.zrange('b2b:bl:L:iz', '0', '-1', 'WITHSCORES');
      expect(ledger.filter((_, i) => i % 2 === 1).sort()).toEqual(['1024', '2048', '4096']);
    } finally {
      for (const c of conns) c.disconnect();
    }
  });

  it("a shard down: only its rooms' blobs fail, with a JSON 503", async () => {
    const { a, b, conns } = await start();
    let rooms: string[];
    const ids: string[] = [];
    try {
      rooms = await roomPerShard(a, conns, 'down');
      for (const r of rooms) ids.push((await upload(a, r, randomBytes(300))).id);
    } finally {
      for (const c of conns) c.disconnect();
    }
    // Not the first shard: it also holds the cluster-wide ledger, which new uploads need.
    const down = 2;
    await servers()[down]!.close();
    for (const n of [a, b]) {
      const r = await fetch(`${blobs(n, rooms[down]!)}/${ids[down]}/chunks/0`);
      expect(r.status).toBe(503);
      expect(await r.json()).toEqual({ error: ERR.storageUnavailable });
      for (const s of [0, 1]) {
        expect((await chunk(n, rooms[s]!, ids[s]!)).status).toBe(200);
        expect((await postJson(blobs(n, rooms[s]!), { size: 100, chunks: 1 })).status).toBe(200);
      }
    }
  });
});
