import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BLOB_ERR,
  FILE_CHUNK_CIPHER_MAX,
  assembleFile,
  cipherSize,
  encodeFileSecret,
  fileSecretOf,
  newFileSecret,
  openFileChunk,
  sealFile,
  type FileEnvelope,
} from '../../protocol/index.js';
import { SseClient, fakeSealed, getJson, postJson, requestJson } from '../../test-support/clients.js';
import { TestClock, startRelay, type RelayOverrides, type TestRelay } from '../../test-support/relay.js';

let r: TestRelay | null = null;
afterEach(async () => {
  await r?.close();
  r = null;
});
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
const MiB = 1024 * 1024;

async function start(overrides: RelayOverrides = {}, clock?: TestClock): Promise<TestRelay> {
  r = await startRelay(overrides, clock);
  return r;
}
/** Reads go to the other node of a cluster when there is one: blobs are shared state. */
const readBase = () => r!.peer?.url ?? r!.url;
const blobs = (room: string, base = r!.url) => `${base}/api/rooms/${room}/blobs`;

async function create(room: string, size: number, chunks: number, extra: Record<string, unknown> = {}) {
  return postJson(blobs(room), { size, chunks, ...extra });
}

async function put(
  room: string,
  id: string,
  token: string,
  index: number,
  data: Uint8Array,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${blobs(room)}/${id}/chunks/${index}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'x-blob-token': token, ...headers },
    body: Buffer.from(data.buffer, data.byteOffset, data.byteLength) as unknown as BodyInit,
  });
  return { status: res.status, json: (await res.json()) as { error?: string } };
}

async function getChunk(room: string, id: string, index: number, base = readBase()) {
  const res = await fetch(`${blobs(room, base)}/${id}/chunks/${index}`);
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, body, type: res.headers.get('content-type') };
}

/** Upload bytes the way clients do: sealed chunks, then the envelope fields a message would carry. */
async function upload(room: string, bytes: Uint8Array): Promise<FileEnvelope> {
  const secret = newFileSecret();
  const sealed = sealFile(secret, bytes);
  const size = sealed.chunks.reduce((n, c) => n + c.length, 0);
  expect(size).toBe(cipherSize(bytes.length));
  const c = await create(room, size, sealed.chunks.length);
  expect(c.status).toBe(200);
  for (const [i, chunk] of sealed.chunks.entries())
    expect((await put(room, c.json.blob_id, c.json.token, i, chunk)).status).toBe(200);
  return {
    bot2bot_file_v1: true,
    blob_id: c.json.blob_id,
    token: c.json.token,
    ...encodeFileSecret(secret),
    name: 'x.bin',
    type: 'application/octet-stream',
    size: bytes.length,
    chunk_size: 256 * 1024,
    chunks: sealed.chunks.length,
    sha256: sealed.sha256,
  };
}

describe('blob routes', () => {
  it('stores ciphertext chunks and serves them back byte-identical; the file opens and verifies', async () => {
    await start();
    const bytes = randomBytes(600 * 1024 + 7);
    const env = await upload('blobroom1', bytes);
    const info = await getJson(`${blobs('blobroom1', readBase())}/${env.blob_id}`);
    expect(info.json).toMatchObject({
      blob_id: env.blob_id,
      chunks: 3,
      received: 3,
      complete: true,
      size: cipherSize(bytes.length),
    });
    const secret = fileSecretOf(env)!;
    const parts: Uint8Array[] = [];
    for (let i = 0; i < env.chunks; i++) {
      const g = await getChunk('blobroom1', env.blob_id, i);
      expect(g.status).toBe(200);
      expect(g.type).toBe('application/octet-stream');
      parts.push(openFileChunk(env, secret, i, g.body));
    }
    expect(Buffer.from(assembleFile(env, parts)).equals(bytes)).toBe(true);
    // Chunks are bound to their position and to the end of the file.
    const c0 = (await getChunk('blobroom1', env.blob_id, 0)).body;
    expect(() => openFileChunk(env, secret, 1, c0)).toThrow();
    expect(() => assembleFile(env, parts.slice(0, 2))).toThrow();
    // A blob of another room is not visible here.
    expect((await getChunk('otherroom', env.blob_id, 0)).status).toBe(404);
  });

  it('refuses malformed and oversize input with JSON errors', async () => {
    await start({ limits: { blobMaxBytes: 1 * MiB } });
    expect((await postJson(blobs('badinput'), { size: 'x', chunks: 1 })).json.error).toBe(BLOB_ERR.badBlob);
    expect((await postJson(blobs('badinput'), '{nope')).status).toBe(400);
    // More bytes than the chunks can hold, and fewer than their tags.
    expect((await create('badinput', FILE_CHUNK_CIPHER_MAX + 1, 1)).status).toBe(400);
    expect((await create('badinput', 15, 1)).status).toBe(400);
    const big = await create('badinput', 1 * MiB + 5 * 16 + 1, 5);
    expect(big.status).toBe(413);
    expect(big.json.error).toBe(BLOB_ERR.tooLarge);
    expect((await create('x', 100, 1)).json.error).toBe('bad roomId');

    const c = await create('badinput', 2 * 1000, 2);
    const { blob_id: id, token } = c.json as { blob_id: string; token: string };
    expect((await put('badinput', id, 'wrong-token-wrong-token', 0, randomBytes(100))).status).toBe(403);
    expect((await put('badinput', id, token, 2, randomBytes(100))).json.error).toBe(BLOB_ERR.badChunk);
    expect(
      (await put('badinput', id, token, 0, randomBytes(100), { 'content-type': 'application/json' })).status,
    ).toBe(415);
    expect((await put('badinput', id, token, 0, randomBytes(FILE_CHUNK_CIPHER_MAX + 1))).json.error).toBe(
      BLOB_ERR.chunkTooLarge,
    );
    expect((await put('badinput', id, token, 0, randomBytes(8))).status).toBe(400);
    expect((await put('badinput', id, token, 0, randomBytes(1500))).status).toBe(200);
    expect((await put('badinput', id, token, 0, randomBytes(100))).json.error).toBe(BLOB_ERR.chunkExists);
    expect((await put('badinput', id, token, 1, randomBytes(501))).json.error).toBe(BLOB_ERR.overDeclared);
    expect((await getChunk('badinput', id, 1)).status).toBe(404);
    expect((await getChunk('badinput', id, 7)).status).toBe(400);
    expect((await getChunk('badinput', 'A'.repeat(22), 0)).status).toBe(404);
    expect((await getChunk('badinput', 'bad id', 0)).status).toBe(404);
    const noToken = await fetch(`${blobs('badinput')}/${id}/chunks/1`, {
      method: 'PUT',
      body: randomBytes(10),
    });
    expect(noToken.status).toBe(403);
    // Still whole after all that: the good chunk is served.
    expect((await getChunk('badinput', id, 0)).body.length).toBe(1500);
  });

  it('enforces the per-room, per-address and count quotas and the global fuse; bystanders keep working', async () => {
    await start({
      limits: {
        blobRoomMaxBytes: 3000,
        blobIpMaxBytes: 8000,
        blobGlobalMaxBytes: 1 * MiB,
        blobsPerRoomMax: 2,
      },
    });
    expect((await create('quotaroom1', 2000, 1)).status).toBe(200);
    const room = await create('quotaroom1', 1500, 1);
    expect(room.status).toBe(429);
    expect(room.json.error).toBe(BLOB_ERR.roomQuota);
    expect(room.headers.get('retry-after')).toBe('60');
    expect((await create('quotaroom2', 2500, 1)).status).toBe(200);
    const ip = await create('quotaroom3', 4000, 1);
    expect(ip.status).toBe(429);
    expect(ip.json.error).toBe(BLOB_ERR.ipQuota);
    // Small blobs count as 1 KiB each.
    expect((await create('quotaroom4', 100, 1)).status).toBe(200);
    expect((await create('quotaroom4', 100, 1)).status).toBe(200);
    expect((await create('quotaroom4', 100, 1)).json.error).toBe(BLOB_ERR.roomCount);
    // Chat in the same room is untouched by the blob quotas.
    expect((await postJson(`${r!.url}/api/rooms/quotaroom1/messages`, fakeSealed())).status).toBe(200);
    expect(await r!.relay.blobs.totalBytes()).toBe(2000 + 2500 + 2 * 1024);
  });

  it('the global fuse bounds what all rooms hold together', async () => {
    await start({ limits: { blobGlobalMaxBytes: 4000, blobIpMaxBytes: 1 * MiB } });
    expect((await create('fuseroom1', 3000, 1)).status).toBe(200);
    const full = await create('fuseroom2', 1500, 1);
    expect(full.status).toBe(503);
    expect(full.json.error).toBe(BLOB_ERR.globalFuse);
    expect(await r!.relay.blobs.totalBytes()).toBe(3000);
  });

  it('a blob lives no longer than its ttl_ms, and never past BLOB_TTL_MS; quotas free up', async () => {
    const clock = new TestClock();
    await start({ limits: { blobRoomMaxBytes: 4000 } }, clock);
    // A subscriber keeps the room itself alive while the clock moves.
    const held = new SseClient(`${r!.url}/api/rooms/ttlblobs/events`);
    await held.next((f) => f.type === 'ready');
    // 100 bytes count as 1 KiB.
    const short = await upload('ttlblobs', randomBytes(100));
    expect((await create('ttlblobs', 2000, 1, { ttl_ms: 30_000 })).status).toBe(200);
    expect((await create('ttlblobs', 1000, 1)).status).toBe(429);
    clock.advance(30_001);
    expect((await getChunk('ttlblobs', short.blob_id, 0)).status).toBe(200);
    const again = await create('ttlblobs', 1000, 1);
    expect(again.status).toBe(200);
    clock.advance(24 * 3600_000);
    expect((await getChunk('ttlblobs', short.blob_id, 0)).status).toBe(404);
    expect((await getJson(`${blobs('ttlblobs')}/${again.json.blob_id}`)).status).toBe(404);
    await r!.relay.blobs.sweep(clock.now());
    expect(await r!.relay.blobs.totalBytes()).toBe(0);
    held.close();
  });

  it('the message ttl caps the blob: a 30 s file is gone with its message', async () => {
    const clock = new TestClock();
    await start({}, clock);
    const held = new SseClient(`${r!.url}/api/rooms/ttlblob2/events`);
    await held.next((f) => f.type === 'ready');
    const c = await create('ttlblob2', 116, 1, { ttl_ms: 30_000 });
    expect(c.json.expires_at).toBeLessThanOrEqual(clock.now() + 30_000);
    expect((await put('ttlblob2', c.json.blob_id, c.json.token, 0, randomBytes(116))).status).toBe(200);
    clock.advance(30_001);
    expect((await getChunk('ttlblob2', c.json.blob_id, 0)).status).toBe(404);
    expect((await create('ttlblob2', 100, 1, { ttl_ms: 5 })).status).toBe(400);
    held.close();
  });

  it('delete with the token frees the blob; without it nothing happens', async () => {
    await start();
    const env = await upload('delblobs1', randomBytes(1000));
    const url = `${blobs('delblobs1')}/${env.blob_id}`;
    expect((await requestJson('DELETE', url, undefined, { 'x-blob-token': 'B'.repeat(22) })).status).toBe(
      403,
    );
    expect((await getChunk('delblobs1', env.blob_id, 0)).status).toBe(200);
    expect((await requestJson('DELETE', url, undefined, { 'x-blob-token': env.token })).status).toBe(200);
    expect((await getChunk('delblobs1', env.blob_id, 0)).status).toBe(404);
    expect((await requestJson('DELETE', url, undefined, { 'x-blob-token': env.token })).status).toBe(404);
    expect(await r!.relay.blobs.totalBytes()).toBe(0);
  });

  it('blobs are evicted with their room', async () => {
    await start({ limits: { roomGraceMs: 150, janitorIntervalMs: 50 } });
    const gone = await upload('evictblob', randomBytes(5000));
    const held = new SseClient(`${r!.url}/api/rooms/keptblob1/events`);
    await held.next((f) => f.type === 'ready');
    const kept = await upload('keptblob1', randomBytes(5000));
    const deadline = Date.now() + 10_000;
    while ((await getJson(`${r!.url}/api/rooms/evictblob/status`)).json.exists && Date.now() < deadline)
      await sleep(50);
    expect((await getJson(`${r!.url}/api/rooms/evictblob/status`)).json.exists).toBe(false);
    // Eviction reaches the store through an event (in a cluster, through Redis pub/sub).
    while ((await getChunk('evictblob', gone.blob_id, 0)).status !== 404 && Date.now() < deadline)
      await sleep(50);
    expect((await getChunk('evictblob', gone.blob_id, 0)).status).toBe(404);
    expect((await getChunk('keptblob1', kept.blob_id, 0)).status).toBe(200);
    expect(await r!.relay.blobs.totalBytes()).toBe(cipherSize(5000));
    held.close();
  });

  it('blob routes are rate-limited', async () => {
    await start({ limits: { rateBucketCapacity: 5, rateBucketRefillPerS: 0.001 } });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await getChunk('ratelimit', 'A'.repeat(22), 0, r!.url)).status);
    expect(statuses.slice(0, 5).every((s) => s === 404)).toBe(true);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
  });

  it('a flood of uploads stays within the global fuse while another room is served', async () => {
    await start({
      limits: {
        blobGlobalMaxBytes: 2 * MiB,
        blobIpMaxBytes: 64 * MiB,
        blobRoomMaxBytes: 64 * MiB,
        rateBucketCapacity: 1000,
        globalBucketCapacity: 2000,
      },
    });
    const env = await upload('bystander', randomBytes(10_000));
    let refused = 0;
    for (let i = 0; i < 20; i++) {
      const c = await create('floodroom', 4 * FILE_CHUNK_CIPHER_MAX, 4);
      if (c.status !== 200) {
        refused++;
        continue;
      }
      for (let k = 0; k < 4; k++)
        await put('floodroom', c.json.blob_id, c.json.token, k, randomBytes(FILE_CHUNK_CIPHER_MAX));
    }
    expect(refused).toBeGreaterThan(0);
    expect(await r!.relay.blobs.totalBytes()).toBeLessThanOrEqual(2 * MiB);
    expect((await getChunk('bystander', env.blob_id, 0)).status).toBe(200);
  });
});
