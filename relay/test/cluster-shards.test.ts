/**
 * Two relay nodes on three real redis-servers: rooms spread over the shards, a node follows
 * only the rooms it has clients in, and the failures an operator meets — a shard down, every
 * Redis restarted, a node killed with SIGKILL — behave as docs/SCALING.md says.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ERR } from '../../protocol/index.js';
import { SseClient, WsClient, fakeSealed, getJson, postJson } from '../../test-support/clients.js';
import { useCluster } from '../../test-support/clusterFixture.js';
import { freshRedisUrl } from '../../test-support/redis.js';
import type { TestRelay } from '../../test-support/relay.js';

const LOTS = { rateBucketCapacity: 10_000, globalBucketCapacity: 10_000 };
const SHARDS = 3;

const { cluster, servers, restart } = useCluster({ limits: LOTS }, SHARDS);
const room = (n: TestRelay | string, id: string) => `${typeof n === 'string' ? n : n.url}/api/rooms/${id}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retry `f` until it returns true; fails the test after `ms`. */
async function eventually(f: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(100);
  }
}

/** One admin connection per shard, on the database the cluster under test uses. */
async function admins(urls: string): Promise<Redis[]> {
  return urls.split(',').map((u) => new Redis(u, { maxRetriesPerRequest: 1, lazyConnect: false }));
}

/** Which shards hold the room (its meta key). */
async function shardsOf(conns: Redis[], id: string): Promise<number[]> {
  const has = await Promise.all(conns.map((c) => c.exists(`b2b:r:${id}:meta`)));
  return has.flatMap((n, i) => (n === 1 ? [i] : []));
}

async function roomChannels(conns: Redis[]): Promise<string[]> {
  const all = await Promise.all(conns.map((c) => c.pubsub('CHANNELS', '*:r:*') as Promise<string[]>));
  return all.flat().sort();
}

describe('a cluster sharded over three Redis servers', () => {
  it('spreads rooms over the shards, one shard per room, and a node follows only rooms it has clients in', async () => {
    const url = await freshRedisUrl(
      servers()
        .map((s) => s.url)
        .join(','),
    );
    const [a, b] = await cluster({ redisUrl: url });
    const conns = await admins(url);
    try {
      const used = new Set<number>();
      for (let i = 0; i < 12; i++) {
        const id = `spread${String(i).padStart(2, '0')}`;
        expect((await postJson(`${room(i % 2 ? a : b, id)}/messages`, fakeSealed())).status).toBe(200);
        const where = await shardsOf(conns, id);
        expect(where).toHaveLength(1);
        used.add(where[0]!);
        // Read back through the other node: both agree where the room lives.
        expect(
          ((await getJson(`${room(i % 2 ? b : a, id)}/transcript`)).json.messages as unknown[]).length,
        ).toBe(1);
      }
      expect(used.size).toBeGreaterThanOrEqual(2);
      // Nobody listens yet: no room channel is subscribed anywhere.
      expect(await roomChannels(conns)).toEqual([]);
      const w = new WsClient(`${room(a, 'spread03').replace('http', 'ws')}/ws`);
      await w.next((f) => f.type === 'ready');
      const channels = await roomChannels(conns);
      expect(channels).toHaveLength(1);
      expect(channels[0]).toMatch(/:r:spread03$/);
      const [shard] = await shardsOf(conns, 'spread03');
      // Only node A, which has the client, is subscribed.
      expect(await conns[shard!]!.pubsub('NUMSUB', channels[0]!)).toEqual([channels[0], 1]);
      await w.close();
      await eventually(async () => (await roomChannels(conns)).length === 0);
    } finally {
      for (const c of conns) c.disconnect();
    }
  });

  it('one shard down: only its rooms fail, with a JSON 503, and they come back by themselves', async () => {
    const url = await freshRedisUrl(
      servers()
        .map((s) => s.url)
        .join(','),
    );
    const [a, b] = await cluster({ redisUrl: url });
    const conns = await admins(url);
    const byShard = new Map<number, string>();
    try {
      for (let i = 0; byShard.size < SHARDS && i < 60; i++) {
        const id = `outage${String(i).padStart(2, '0')}`;
        await postJson(`${room(a, id)}/messages`, fakeSealed());
        const [s] = await shardsOf(conns, id);
        if (!byShard.has(s!)) byShard.set(s!, id);
      }
    } finally {
      for (const c of conns) c.disconnect();
    }
    expect(byShard.size).toBe(SHARDS);
    const down = 1;
    const victim = byShard.get(down)!;
    const bystanders = [...byShard].filter(([s]) => s !== down).map(([, id]) => id);
    await servers()[down]!.close();
    for (const node of [a, b]) {
      const r = await postJson(`${room(node, victim)}/messages`, fakeSealed());
      expect(r.status).toBe(503);
      expect(r.json).toEqual({ error: ERR.storageUnavailable });
      expect(r.headers.get('retry-after')).toBe('5');
      const t = await getJson(`${room(node, victim)}/transcript`);
      expect(t.status).toBe(503);
      for (const id of bystanders)
        expect((await postJson(`${room(node, id)}/messages`, fakeSealed())).status).toBe(200);
    }
    expect((await getJson(`${a.url}/api/health`)).status).toBe(200);
    await restart(down);
    // No operator action: the nodes reconnect on their own. The restarted shard starts empty.
    // Each node reconnects on its own schedule.
    for (const node of [b, a])
      await eventually(
        async () => (await postJson(`${room(node, victim)}/messages`, fakeSealed())).status === 200,
      );
    expect(
      ((await getJson(`${room(a, victim)}/transcript`)).json.messages as unknown[]).length,
    ).toBeGreaterThanOrEqual(2);
  });

  it('every Redis restarted: rooms start empty, seqs stay above the old ones, open streams carry on', async () => {
    const [a, b] = await cluster();
    const w = new WsClient(`${room(b, 'restart1').replace('http', 'ws')}/ws`);
    await w.next((f) => f.type === 'ready');
    let last = 0;
    for (let i = 0; i < 3; i++)
      last = (await postJson(`${room(a, 'restart1')}/messages`, fakeSealed())).json.seq as number;
    await w.count('message', 3);
    await Promise.all(servers().map((s) => s.close()));
    for (let i = 0; i < SHARDS; i++) await restart(i);
    let seq = 0;
    await eventually(async () => {
      const r = await postJson(`${room(a, 'restart1')}/messages`, fakeSealed());
      if (r.status === 200) seq = r.json.seq as number;
      return r.status === 200;
    });
    expect(seq).toBeGreaterThan(last);
    // The stream on node B, open all along, receives the first message after the restart.
    expect((await w.next((f) => f.type === 'message' && f.seq === seq, 15_000)).seq).toBe(seq);
    // Node B reconnects on its own schedule; then it reads the same new room.
    let t = await getJson(`${room(b, 'restart1')}/transcript`);
    await eventually(async () => (t = await getJson(`${room(b, 'restart1')}/transcript`)).status === 200);
    expect((t.json.messages as Array<{ seq: number }>).map((m) => m.seq)).toEqual([seq]);
    await w.close();
  });

  it('a stream in a quiet room misses nothing when the subscriber connections drop before its first live message', async () => {
    const url = await freshRedisUrl(
      servers()
        .map((s) => s.url)
        .join(','),
    );
    const [a, b] = await cluster({ redisUrl: url });
    await postJson(`${room(a, 'quiet001')}/messages`, fakeSealed());
    const w = new WsClient(`${room(b, 'quiet001').replace('http', 'ws')}/ws`);
    await w.next((f) => f.type === 'ready');
    expect(await w.count('message', 1)).toHaveLength(1);
    const conns = await admins(url);
    try {
      const killed = await Promise.all(
        conns.map((c) => c.call('CLIENT', 'KILL', 'TYPE', 'pubsub') as Promise<number>),
      );
      expect(killed.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(2 * SHARDS);
    } finally {
      for (const c of conns) c.disconnect();
    }
    const posted: number[] = [];
    for (let i = 0; i < 10; i++)
      posted.push((await postJson(`${room(a, 'quiet001')}/messages`, fakeSealed())).json.seq as number);
    expect((await w.count('message', 11)).slice(1).map((f) => f.seq as number)).toEqual(posted);
    await w.close();
  });

  it('a node killed with SIGKILL mid-stream: its clients resume on the other node with nothing lost or twice', async () => {
    const url = await freshRedisUrl(
      servers()
        .map((s) => s.url)
        .join(','),
    );
    const [, b] = await cluster({ redisUrl: url });
    const killed = await spawnNode(url);
    try {
      const ids = ['killed01', 'killed02', 'killed03', 'killed04'];
      const streams = ids.map((id) => new SseClient(`${room(killed.url, id)}/events`));
      await Promise.all(streams.map((s) => s.next((f) => f.type === 'ready')));
      const posted = new Map<string, number[]>(ids.map((id) => [id, []]));
      const post = async (id: string) =>
        posted.get(id)!.push((await postJson(`${room(b, id)}/messages`, fakeSealed())).json.seq as number);
      for (let i = 0; i < 5; i++) for (const id of ids) await post(id);
      await Promise.all(streams.map((s) => s.count('message', 5)));
      // Posting goes on while the node dies.
      const during = (async () => {
        for (let i = 0; i < 5; i++) for (const id of ids) await post(id);
      })();
      killed.child.kill('SIGKILL');
      await during;
      for (const [k, id] of ids.entries()) {
        const seen = streams[k]!.messages().map((f) => f.seq as number);
        const resumed = new SseClient(`${room(b, id)}/events?after=${seen.at(-1)}`);
        const ready = await resumed.next((f) => f.type === 'ready');
        expect(ready).not.toHaveProperty('gap');
        const rest = (await resumed.count('message', 10 - seen.length)).map((f) => f.seq as number);
        expect([...seen, ...rest]).toEqual(posted.get(id));
        resumed.close();
        streams[k]!.close();
      }
    } finally {
      killed.child.kill('SIGKILL');
    }
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

/** A relay node in its own process, so it can die the hard way. */
async function spawnNode(redisUrl: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'relay/main.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: redisUrl,
      RATE_BUCKET_CAPACITY: '10000',
      GLOBAL_BUCKET_CAPACITY: '10000',
    },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => {
    try {
      return (await fetch(`${url}/api/health`)).status === 200;
    } catch {
      return false;
    }
  }, 20_000);
  return { url, child };
}
