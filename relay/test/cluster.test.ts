/**
 * Two relay nodes on one real redis-server: every transport on either node sees one
 * shared order, concurrent posts to both nodes get one gap-free sequence, and a node's death
 * loses nothing its clients had acknowledged.
 */
import { describe, expect, it } from 'vitest';
import { SseClient, WsClient, fakeSealed, getJson, postJson } from '../../test-support/clients.js';
import { randomBytes } from 'node:crypto';
import { useCluster } from '../../test-support/clusterFixture.js';
import { call, fixedIdentity, register, signed } from './identity-helpers.js';
import type { TestRelay } from '../../test-support/relay.js';

const LOTS = { rateBucketCapacity: 10_000, globalBucketCapacity: 10_000 };

const { cluster, redisUrl } = useCluster({ limits: LOTS });
const room = (n: TestRelay, id: string) => `${n.url}/api/rooms/${id}`;
const ws = (n: TestRelay, id: string, q = '') => `${room(n, id).replace('http', 'ws')}/ws${q}`;
const seqs = (frames: Array<Record<string, unknown>>) => frames.map((f) => f.seq as number);

/** Long-poll from `after` until `n` messages have been collected. */
async function longPoll(base: string, after: number, n: number): Promise<number[]> {
  const got: number[] = [];
  let cursor = after;
  while (got.length < n) {
    const r = await getJson(`${base}/wait?after=${cursor}&timeout=5`);
    expect(r.status).toBe(200);
    for (const m of r.json.messages as Array<{ seq: number }>) got.push(m.seq);
    if (got.length > 0) cursor = got[got.length - 1]!;
  }
  return got;
}

describe('a two-node cluster', () => {
  it('clients on different nodes and transports see one shared order', async () => {
    const [a, b] = await cluster();
    const sseA = new SseClient(`${room(a, 'shared01')}/events?name=sse-on-a`);
    const wsB = new WsClient(ws(b, 'shared01'));
    const wsA = new WsClient(ws(a, 'shared01'));
    await Promise.all([sseA, wsB, wsA].map((c) => c.next((f) => f.type === 'ready')));
    const polled = longPoll(room(b, 'shared01'), 0, 30);
    // Posts alternate between nodes and transports, several in flight at once.
    const posts: Array<Promise<unknown>> = [];
    for (let i = 0; i < 10; i++) {
      posts.push(postJson(`${room(a, 'shared01')}/messages`, fakeSealed()));
      posts.push(postJson(`${room(b, 'shared01')}/messages`, fakeSealed()));
      wsB.send(fakeSealed());
    }
    await Promise.all(posts);
    const [fromSse, fromWsB, fromWsA] = await Promise.all([
      sseA.count('message', 30),
      wsB.count('message', 30),
      wsA.count('message', 30),
    ]);
    const order = seqs(fromSse);
    expect(seqs(fromWsB)).toEqual(order);
    expect(seqs(fromWsA)).toEqual(order);
    expect(await polled).toEqual(order);
    // One sequence: consecutive integers, each message once.
    for (let i = 1; i < order.length; i++) expect(order[i]).toBe(order[i - 1]! + 1);
    const ta = await getJson(`${room(a, 'shared01')}/transcript?limit=500`);
    const tb = await getJson(`${room(b, 'shared01')}/transcript?limit=500`);
    expect(seqs(ta.json.messages)).toEqual(order);
    expect(tb.json.messages).toEqual(ta.json.messages);
    sseA.close();
    await Promise.all([wsA.close(), wsB.close()]);
  });

  it('concurrent posts to both nodes yield one gap-free sequence', async () => {
    const [a, b] = await cluster();
    const watchA = new WsClient(ws(a, 'race0001'));
    const watchB = new SseClient(`${room(b, 'race0001')}/events`);
    await Promise.all([watchA.next((f) => f.type === 'ready'), watchB.next((f) => f.type === 'ready')]);
    const N = 150;
    const results = await Promise.all(
      Array.from({ length: 2 * N }, (_, i) =>
        postJson(`${room(i % 2 ? a : b, 'race0001')}/messages`, fakeSealed(16)),
      ),
    );
    const issued = results.map((r) => {
      expect(r.status).toBe(200);
      return r.json.seq as number;
    });
    const sorted = [...issued].sort((x, y) => x - y);
    expect(new Set(issued).size).toBe(2 * N);
    expect(sorted.at(-1)! - sorted[0]!).toBe(2 * N - 1);
    // Every subscriber, on either node, receives them exactly once and in seq order.
    expect(seqs(await watchA.count('message', 2 * N))).toEqual(sorted);
    expect(seqs(await watchB.count('message', 2 * N))).toEqual(sorted);
    await new Promise((r) => setTimeout(r, 100));
    expect(watchA.messages()).toHaveLength(2 * N);
    expect(watchB.messages()).toHaveLength(2 * N);
    await watchA.close();
    watchB.close();
  });

  it('presence on one node lists subscribers on the other, and drops them when they leave', async () => {
    const [a, b] = await cluster();
    const onA = new SseClient(`${room(a, 'presence1')}/events?name=alice-on-a`);
    await onA.next((f) => f.type === 'ready');
    // Node A publishes its subscribers right after `ready`: node B sees them a moment later.
    const deadline = Date.now() + 3000;
    let st = await getJson(`${room(b, 'presence1')}/status`);
    while (st.json.participants !== 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      st = await getJson(`${room(b, 'presence1')}/status`);
    }
    expect(st.json).toMatchObject({ exists: true, participants: 1 });
    const onB = new WsClient(ws(b, 'presence1'));
    await onB.next((f) => f.type === 'ready');
    onB.send({ type: 'hello', name: 'bob-on-b' });
    const both = (f: Record<string, unknown>) =>
      f.type === 'presence' && f.size === 2 && (f.names as string[]).length === 2;
    const seenOnA = await onA.next(both);
    const seenOnB = await onB.next(both);
    expect([...(seenOnA.names as string[])].sort()).toEqual(['alice-on-a', 'bob-on-b']);
    expect(seenOnB.names).toEqual(seenOnA.names);
    onA.close();
    const after = await onB.next((f) => f.type === 'presence' && f.size === 1);
    expect(after.names).toEqual(['bob-on-b']);
    // A heartbeat sent to node A shows up in presence read on node B.
    expect((await postJson(`${room(a, 'presence1')}/listening`, { name: 'poller-agent' })).status).toBe(200);
    const p = await onB.next(
      (f) =>
        f.type === 'presence' &&
        (f.names as string[]).length === 1 &&
        (f.participants as unknown[]).length === 2,
    );
    expect((p.participants as Array<{ name: string }>).map((x) => x.name)).toEqual([
      'bob-on-b',
      'poller-agent',
    ]);
    await onB.close();
  });

  it("a killed node's clients resume on the other node with nothing lost and nothing twice", async () => {
    const [a, b] = await cluster();
    const wsA = new WsClient(ws(a, 'failover'));
    const sseA = new SseClient(`${room(a, 'failover')}/events`);
    await Promise.all([wsA.next((f) => f.type === 'ready'), sseA.next((f) => f.type === 'ready')]);
    for (let i = 0; i < 5; i++) await postJson(`${room(a, 'failover')}/messages`, fakeSealed());
    const before = seqs(await wsA.count('message', 5));
    expect(seqs(await sseA.count('message', 5))).toEqual(before);
    const lastSeen = before.at(-1)!;
    // Node A goes away; messages keep arriving through node B meanwhile.
    await a.close();
    for (let i = 0; i < 5; i++) await postJson(`${room(b, 'failover')}/messages`, fakeSealed());
    const wsResumed = new WsClient(ws(b, 'failover', `?after=${lastSeen}`));
    const sseResumed = new SseClient(`${room(b, 'failover')}/events?after=${lastSeen}`);
    const readyWs = await wsResumed.next((f) => f.type === 'ready');
    await sseResumed.next((f) => f.type === 'ready');
    expect(readyWs).not.toHaveProperty('gap');
    await postJson(`${room(b, 'failover')}/messages`, fakeSealed());
    const resumed = seqs(await wsResumed.count('message', 6));
    expect(seqs(await sseResumed.count('message', 6))).toEqual(resumed);
    const all = [...before, ...resumed];
    for (let i = 1; i < all.length; i++) expect(all[i]).toBe(all[i - 1]! + 1);
    // A long-poller that had seen the same point gets the same continuation.
    expect(await longPoll(room(b, 'failover'), lastSeen, 6)).toEqual(resumed);
    await wsResumed.close();
    sseResumed.close();
    await wsA.close();
    sseA.close();
  });

  it('a node whose event connection drops catches up from the buffer: no gap, nothing twice', async () => {
    const [a, b] = await cluster();
    const watcher = new WsClient(ws(b, 'reconn01'));
    await watcher.next((f) => f.type === 'ready');
    await postJson(`${room(a, 'reconn01')}/messages`, fakeSealed());
    await watcher.count('message', 1);
    // Cut every pub/sub connection (both nodes'); posts go on while they reconnect.
    const { Redis } = await import('ioredis');
    const admin = new Redis(redisUrl());
    try {
      expect(Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub'))).toBeGreaterThanOrEqual(2);
    } finally {
      admin.disconnect();
    }
    for (let i = 0; i < 20; i++) await postJson(`${room(a, 'reconn01')}/messages`, fakeSealed());
    const got = seqs(await watcher.count('message', 21));
    for (let i = 1; i < got.length; i++) expect(got[i]).toBe(got[i - 1]! + 1);
    // Live delivery resumed after the catch-up.
    const next = (await postJson(`${room(a, 'reconn01')}/messages`, fakeSealed())).json.seq;
    expect((await watcher.next((f) => f.type === 'message' && f.seq === next)).seq).toBe(got.at(-1)! + 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(watcher.messages()).toHaveLength(22);
    await watcher.close();
  });

  it('a room stays while any node has a subscriber, and goes once none has', async () => {
    const [a, b] = await cluster({ limits: { ...LOTS, roomGraceMs: 150, janitorIntervalMs: 50 } });
    await postJson(`${room(a, 'evict001')}/messages`, fakeSealed());
    const held = new SseClient(`${room(b, 'evict001')}/events`);
    await held.next((f) => f.type === 'ready');
    await new Promise((r) => setTimeout(r, 500));
    expect((await getJson(`${room(a, 'evict001')}/status`)).json.exists).toBe(true);
    held.close();
    const deadline = Date.now() + 3000;
    while ((await getJson(`${room(a, 'evict001')}/status`)).json.exists) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await getJson(`${room(b, 'evict001')}/status`)).json.exists).toBe(false);
    expect((await getJson(`${a.url}/api/health`)).json.rooms).toBe(0);
  });

  it('the room cap counts rooms on every node', async () => {
    const [a, b] = await cluster({ limits: { ...LOTS, roomsMax: 2 } });
    const subA = new SseClient(`${room(a, 'capclu01')}/events`);
    const subB = new SseClient(`${room(b, 'capclu02')}/events`);
    await Promise.all([subA.next((f) => f.type === 'ready'), subB.next((f) => f.type === 'ready')]);
    const third = await postJson(`${room(a, 'capclu03')}/messages`, fakeSealed());
    expect(third.status).toBe(503);
    expect((await getJson(`${b.url}/api/health`)).json.rooms).toBe(2);
    subA.close();
    subB.close();
  });

  it('at the shared byte fuse the largest room yields its oldest messages; a room over its share drops its own', async () => {
    const [a, b] = await cluster({
      limits: { ...LOTS, roomBufferBytesMax: 400_000, roomBytesPerRoom: 250_000 },
    });
    const big = () => fakeSealed(30_000);
    // 40 kB a post: the per-room share keeps the busy room under 250 kB however much goes in.
    for (let i = 0; i < 12; i++)
      expect((await postJson(`${room(i % 2 ? a : b, 'bigclu01')}/messages`, big())).status).toBe(200);
    const busy = await getJson(`${room(a, 'bigclu01')}/transcript?limit=500`);
    expect(busy.json.count).toBeLessThan(12);
    expect(busy.json.messages.at(-1).seq - busy.json.messages[0].seq).toBe(busy.json.count - 1);
    // A second busy room and a quiet one: the fuse makes the busy ones yield, never the quiet one.
    for (let i = 0; i < 3; i++)
      expect((await postJson(`${room(b, 'quietc01')}/messages`, fakeSealed(100))).status).toBe(200);
    for (let i = 0; i < 12; i++)
      expect((await postJson(`${room(i % 2 ? b : a, 'bigclu02')}/messages`, big())).status).toBe(200);
    expect((await getJson(`${room(b, 'quietc01')}/transcript`)).json.count).toBe(3);
    const counts = await Promise.all(
      ['bigclu01', 'bigclu02'].map(
        async (id) => (await getJson(`${room(a, id)}/transcript?limit=500`)).json.count as number,
      ),
    );
    expect(counts[0]! + counts[1]!).toBeLessThan(10);
  });

  it('at the shared DM fuse the largest inbox yields its oldest envelopes instead of refusing every DM', async () => {
    const [a, b] = await cluster({ limits: { ...LOTS, dmBufferBytesMax: 300_000 } });
    const ids = ['flooded', 'quietone'].map((h) => fixedIdentity(h));
    for (const id of ids) expect((await register(a.url, id)).status).toBe(201);
    await Promise.all([a.relay.deps.identities.synced(), b.relay.deps.identities.synced()]);
    const sealed = (n: number) => ({
      ciphertext: randomBytes(n).toString('base64'),
      nonce: randomBytes(24).toString('base64'),
      sender_eph_pub: randomBytes(32).toString('base64'),
    });
    const quiet = await call('POST', `${b.url}/api/dm/quietone`, sealed(500));
    expect(quiet.status).toBe(200);
    // 40 kB envelopes, ten times what the fuse holds: every one is taken.
    for (let i = 0; i < 75; i++)
      expect((await call('POST', `${(i % 2 ? a : b).url}/api/dm/flooded`, sealed(30_000))).status).toBe(200);
    const quietBox = await signed(a.url, ids[1]!, 'GET', '/api/dm/quietone/inbox/wait?after=0&timeout=1');
    expect(quietBox.json.messages.map((m: { id: string }) => m.id)).toEqual([quiet.json.id]);
    const flooded = await signed(b.url, ids[0]!, 'GET', '/api/dm/flooded/inbox/wait?after=0&timeout=1');
    expect(flooded.json.messages.length).toBeLessThanOrEqual(7);
  });
});
