/**
 * Two relay nodes on a real Redis Cluster of three primaries (REDIS_CLUSTER=1): rooms spread over
 * the primaries by hash tag, room channels are sharded pub/sub that a node subscribes to only
 * while it has clients in the room, and every transport on either node sees one order.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  SseClient,
  WsClient,
  fakeSealed,
  getJson,
  postJson,
  requestJson,
} from '../../test-support/clients.js';
import { startRedisCluster, type TestRedis } from '../../test-support/redis.js';
import { startCluster, type TestRelay } from '../../test-support/relay.js';
import { call, fixedIdentity, register, signedProfile } from './identity-helpers.js';

const LOTS = { rateBucketCapacity: 10_000, globalBucketCapacity: 10_000 };
let primaries: TestRedis[] = [];
let nodes: TestRelay[] = [];
let namespace = 0;

beforeAll(async () => {
  primaries = await startRedisCluster(3);
}, 60_000);
afterAll(() => Promise.all(primaries.map((r) => r.close())));
afterEach(async () => {
  await Promise.allSettled(nodes.map((n) => n.close()));
  nodes = [];
});

/** Two nodes on the cluster, in a key namespace of their own (the URL's database number). */
async function pair(): Promise<[TestRelay, TestRelay]> {
  namespace++;
  const redisUrl = primaries.map((r) => `${r.url}/${namespace}`).join(',');
  const p = await startCluster({ redisUrl, redisCluster: true, limits: LOTS });
  nodes.push(...p);
  return p;
}

const room = (n: TestRelay, id: string) => `${n.url}/api/rooms/${id}`;
const admins = () => primaries.map((r) => new Redis(r.url, { maxRetriesPerRequest: 1 }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a cluster on a Redis Cluster', () => {
  it('spreads rooms over the primaries, and clients on both nodes see one order', async () => {
    const [a, b] = await pair();
    const ws = new WsClient(`${room(a, 'rc-order').replace('http', 'ws')}/ws`);
    const sse = new SseClient(`${room(b, 'rc-order')}/events`);
    await Promise.all([ws.next((f) => f.type === 'ready'), sse.next((f) => f.type === 'ready')]);
    const posted: number[] = [];
    for (let i = 0; i < 20; i++)
      posted.push(
        (await postJson(`${room(i % 2 ? a : b, 'rc-order')}/messages`, fakeSealed())).json.seq as number,
      );
    for (let i = 1; i < posted.length; i++) expect(posted[i]).toBe(posted[i - 1]! + 1);
    expect((await ws.count('message', 20)).map((f) => f.seq)).toEqual(posted);
    expect((await sse.count('message', 20)).map((f) => f.seq)).toEqual(posted);
    for (let i = 0; i < 24; i++)
      expect((await postJson(`${room(a, `rc-spread${i}`)}/messages`, fakeSealed())).status).toBe(200);
    const conns = admins();
    try {
      const sizes = await Promise.all(conns.map((c) => c.dbsize()));
      expect(sizes.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
    } finally {
      for (const c of conns) c.disconnect();
    }
    expect(((await getJson(`${room(b, 'rc-spread7')}/transcript`)).json.messages as unknown[]).length).toBe(
      1,
    );
    await ws.close();
    sse.close();
  });

  it('a node holds a sharded subscription only for rooms it has clients in', async () => {
    const [a, b] = await pair();
    await postJson(`${room(b, 'rc-follow')}/messages`, fakeSealed());
    const conns = admins();
    const shardChannels = async () =>
      (
        await Promise.all(
          conns.map((c) => c.call('PUBSUB', 'SHARDCHANNELS', `*{${namespace}.*`) as Promise<string[]>),
        )
      ).flat();
    try {
      expect(await shardChannels()).toEqual([]);
      const w = new WsClient(`${room(a, 'rc-follow').replace('http', 'ws')}/ws`);
      await w.next((f) => f.type === 'ready');
      const channels = await shardChannels();
      expect(channels).toHaveLength(1);
      expect(channels[0]).toMatch(/:r:rc-follow$/);
      const seq = (await postJson(`${room(b, 'rc-follow')}/messages`, fakeSealed())).json.seq;
      expect((await w.next((f) => f.type === 'message' && f.seq === seq)).seq).toBe(seq);
      await w.close();
      const deadline = Date.now() + 10_000;
      while ((await shardChannels()).length > 0 && Date.now() < deadline) await sleep(50);
      expect(await shardChannels()).toEqual([]);
    } finally {
      for (const c of conns) c.disconnect();
    }
  });

  it('identities and profiles registered through one node are known to the other', async () => {
    const [a, b] = await pair();
    const agent = fixedIdentity('rc-agent', 71);
    expect((await register(a.url, agent)).status).toBe(201);
    expect(
      (
        await call(
          'PUT',
          `${a.url}/api/agents/${agent.handle}/profile`,
          signedProfile(agent, { summary: 'on a cluster' }),
        )
      ).status,
    ).toBe(201);
    const deadline = Date.now() + 10_000;
    while ((await call('GET', `${b.url}/api/agents/${agent.handle}`)).status !== 200 && Date.now() < deadline)
      await sleep(50);
    expect((await call('GET', `${b.url}/api/agents/${agent.handle}`)).json.agent.summary).toBe(
      'on a cluster',
    );
  });

  it("attachments live under their room's hash tag; any node serves them and the quotas are shared", async () => {
    const [a, b] = await pair();
    const bytes = randomBytes(5000);
    const blobs = (n: TestRelay) => `${room(n, 'rc-files')}/blobs`;
    const c = await postJson(blobs(a), { size: bytes.length, chunks: 1 });
    expect(c.status).toBe(200);
    const { blob_id: id, token } = c.json as { blob_id: string; token: string };
    const put = await fetch(`${blobs(a)}/${id}/chunks/0`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'x-blob-token': token },
      body: new Uint8Array(bytes),
    });
    expect(put.status).toBe(200);
    const got = await fetch(`${blobs(b)}/${id}/chunks/0`);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
    // The chunk is in the same slot as the room's own keys, on the primary that holds them.
    const conns = admins();
    try {
      const keys = async (pattern: string) => (await Promise.all(conns.map((x) => x.keys(pattern)))).flat();
      const [meta] = await keys(`b2b:{${namespace}.*}:r:rc-files:meta`);
      const [chunk] = await keys(`b2b:{${namespace}.*}:bl:c:rc-files/${id}:0`);
      expect(meta).toBeDefined();
      expect(chunk).toBeDefined();
      const slot = (k: string) => conns[0]!.call('CLUSTER', 'KEYSLOT', k);
      expect(await slot(chunk!)).toBe(await slot(meta!));
    } finally {
      for (const x of conns) x.disconnect();
    }
    expect(await b.relay.blobs.totalBytes()).toBe(bytes.length);
    expect(
      (await requestJson('DELETE', `${blobs(b)}/${id}`, undefined, { 'x-blob-token': token })).status,
    ).toBe(200);
    expect((await fetch(`${blobs(a)}/${id}/chunks/0`)).status).toBe(404);
    expect(await a.relay.blobs.totalBytes()).toBe(0);
  });
});
