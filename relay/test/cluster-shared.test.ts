/**
 * Cluster state that is not the message stream: claim cursors and leases, the signed-only lock,
 * and what the relay says about the Redis it is given (unreachable, or persisting to disk).
 */
import { describe, expect, it } from 'vitest';
import { ERR, authorizationHeader, encodeBase64, signRoomPost } from '../../protocol/index.js';
import { WsClient, fakeSealed, getJson, postJson } from '../../test-support/clients.js';
import { useCluster } from '../../test-support/clusterFixture.js';
import { freshRedisUrl } from '../../test-support/redis.js';
import { TestClock, type TestRelay } from '../../test-support/relay.js';
import { defaultConfig } from '../config.js';
import { checkPersistence, openRedis, parseRedisUrl } from '../rooms/redis/connect.js';
import { createRelay } from '../server.js';
import { call, fixedIdentity, register, sealedDm, signed, signedProfile } from './identity-helpers.js';

const { cluster, redisUrl } = useCluster();
const room = (n: TestRelay, id: string) => `${n.url}/api/rooms/${id}`;
const redisUrlOf = (n: TestRelay) => n.relay.deps.config.redisUrl!;

/** Announcements between nodes are asynchronous: wait (boundedly) for one to land. */
async function until(f: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error('not propagated in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('claim / ack across nodes', () => {
  const worker = fixedIdentity('cluster-worker', 51);

  it('a claim on node A is acked on node B; the lease and redelivery are shared', async () => {
    const clock = new TestClock();
    const [a, b] = await cluster({}, clock);
    // Registered through node A only: node B reads it from Redis if the announcement is late.
    expect((await register(a.url, worker, clock.now())).status).toBe(201);
    const claim = (n: TestRelay, id: string) =>
      signed(n.url, worker, 'POST', `/api/rooms/${id}/claim?timeout=1`, clock.now(), {
        handle: worker.handle,
      });
    const ack = (n: TestRelay, id: string, claimId: string, seq: number) =>
      signed(n.url, worker, 'POST', `/api/rooms/${id}/ack`, clock.now(), {
        handle: worker.handle,
        claim_id: claimId,
        seq,
      });

    const s1 = (await postJson(`${room(a, 'clmclu01')}/messages`, { sender: 'human', ...fakeSealed() })).json
      .seq as number;
    const s2 = (await postJson(`${room(b, 'clmclu01')}/messages`, { sender: 'human', ...fakeSealed() })).json
      .seq as number;
    const c1 = await claim(a, 'clmclu01');
    expect(c1.json).toMatchObject({ ok: true, message: { seq: s1 }, cursor: s1 - 1, last_seq: s2 });
    // The same claim is in flight whichever node is asked.
    expect((await claim(b, 'clmclu01')).json.claim_id).toBe(c1.json.claim_id);
    expect((await ack(b, 'clmclu01', c1.json.claim_id, s1)).json).toEqual({
      ok: true,
      advanced: true,
      cursor: s1,
    });
    expect((await ack(a, 'clmclu01', c1.json.claim_id, s1)).json).toEqual({
      ok: true,
      advanced: false,
      cursor: s1,
    });
    const c2 = await claim(b, 'clmclu01');
    expect(c2.json.message.seq).toBe(s2);
    clock.advance(61_000);
    const redelivered = await claim(a, 'clmclu01');
    expect(redelivered.json.message.seq).toBe(s2);
    expect(redelivered.json.claim_id).not.toBe(c2.json.claim_id);
    const stale = await ack(a, 'clmclu01', c2.json.claim_id, s2);
    expect(stale.status).toBe(409);
    expect(stale.json).toEqual({ error: ERR.staleClaim, cursor: s1 });
    expect((await ack(b, 'clmclu01', redelivered.json.claim_id, s2)).json.advanced).toBe(true);
  });

  it('a claim parked on node B wakes for a post on node A', async () => {
    const [a, b] = await cluster();
    expect((await register(b.url, worker)).status).toBe(201);
    await postJson(`${room(a, 'clmclu02')}/messages`, { sender: 'human', ...fakeSealed() });
    const first = await signed(b.url, worker, 'POST', '/api/rooms/clmclu02/claim?timeout=1', Date.now(), {
      handle: worker.handle,
    });
    await signed(b.url, worker, 'POST', '/api/rooms/clmclu02/ack', Date.now(), {
      handle: worker.handle,
      claim_id: first.json.claim_id,
      seq: first.json.message.seq,
    });
    const parked = signed(b.url, worker, 'POST', '/api/rooms/clmclu02/claim?timeout=5', Date.now(), {
      handle: worker.handle,
    });
    await new Promise((r) => setTimeout(r, 150));
    const wanted = (await postJson(`${room(a, 'clmclu02')}/messages`, { sender: 'human', ...fakeSealed() }))
      .json.seq;
    expect((await parked).json.message.seq).toBe(wanted);
  });
});

describe('DM inboxes across nodes', () => {
  it('a DM sent through node A wakes an inbox long-poll parked on node B; seqs come from one counter', async () => {
    const [a, b] = await cluster();
    const alice = fixedIdentity('dm-alice', 71);
    expect((await register(b.url, alice)).status).toBe(201);
    const wait = (n: TestRelay, after: number, timeout = 5) =>
      signed(n.url, alice, 'GET', `/api/dm/${alice.handle}/inbox/wait?after=${after}&timeout=${timeout}`);
    const first = await postJson(`${a.url}/api/dm/${alice.handle}`, sealedDm());
    expect(first.status).toBe(200);
    const parked = wait(b, first.json.seq);
    await new Promise((r) => setTimeout(r, 150));
    const second = await postJson(`${b.url}/api/dm/${alice.handle}`, sealedDm());
    const third = await postJson(`${a.url}/api/dm/${alice.handle}`, sealedDm());
    expect(second.json.seq).toBeGreaterThan(first.json.seq);
    expect(third.json.seq).toBeGreaterThan(second.json.seq);
    // On a loaded machine the wait may still be on its way to parking when both posts land, and
    // then it answers with both: what matters is that it starts with the first new DM.
    const woke = (await parked).json.messages.map((m: { seq: number }) => m.seq);
    expect(woke[0]).toBe(second.json.seq);
    expect([[second.json.seq], [second.json.seq, third.json.seq]]).toContainEqual(woke);
    // Both nodes read the same inbox; a delete through one is seen by the other.
    const viaA = await wait(a, 0, 1);
    const viaB = await wait(b, 0, 1);
    expect(viaB.json.messages).toEqual(viaA.json.messages);
    expect(viaA.json.messages.map((m: { seq: number }) => m.seq)).toEqual([
      first.json.seq,
      second.json.seq,
      third.json.seq,
    ]);
    const del = await signed(b.url, alice, 'DELETE', `/api/dm/${alice.handle}/inbox/${first.json.id}`);
    expect(del.json).toEqual({ ok: true, removed: 1 });
    expect((await wait(a, 0, 1)).json.messages).toHaveLength(2);
  });

  it('a node that has not yet heard of a registration reads it from Redis instead of answering 404', async () => {
    const [a, b] = await cluster();
    const carol = fixedIdentity('dm-carol', 73);
    expect((await register(b.url, carol)).status).toBe(201);
    // The announcement can reach node A after carol's next request does: take it back out.
    const forget = () => a.relay.deps.identities.records.delete(carol.handle);
    forget();
    expect((await getJson(`${a.url}/api/identity/${carol.handle}`)).json.sign_pub).toBe(
      encodeBase64(carol.signPublicKey),
    );
    forget();
    expect((await postJson(`${a.url}/api/dm/${carol.handle}`, sealedDm())).status).toBe(200);
    forget();
    expect(
      (await signed(a.url, carol, 'GET', `/api/dm/${carol.handle}/inbox/wait?after=0&timeout=1`)).json
        .messages,
    ).toHaveLength(1);
    // A signed room post, over HTTP and over WebSocket, is verified rather than refused with 401.
    forget();
    const sealed = fakeSealed();
    const post = await postJson(`${room(a, 'idclu002')}/messages`, {
      ...sealed,
      ...signRoomPost(carol, 'idclu002', sealed.ciphertext, Date.now()),
    });
    expect(post.status).toBe(200);
    const transcript = await getJson(`${room(a, 'idclu002')}/transcript`);
    expect(transcript.json.messages[0]).toMatchObject({ sender: `@${carol.handle}`, sender_verified: true });
    forget();
    const ws = new WsClient(`${room(a, 'idclu002').replace('http', 'ws')}/ws`);
    await ws.next((f) => f.type === 'ready');
    const wsSealed = fakeSealed();
    ws.send({ ...wsSealed, ...signRoomPost(carol, 'idclu002', wsSealed.ciphertext, Date.now()) });
    const echoed = await ws.next((f) => f.type === 'message' && f.ciphertext === wsSealed.ciphertext);
    expect(echoed).toMatchObject({ sender: `@${carol.handle}`, sender_verified: true });
    await ws.close();
    // A handle nobody registered is still 404.
    expect((await postJson(`${a.url}/api/dm/nobody-here`, sealedDm())).status).toBe(404);
  });
});

describe('identities across nodes', () => {
  it('a handle registered through node A signs posts, claims and DMs on node B at once', async () => {
    const [a, b] = await cluster();
    const carol = fixedIdentity('only-on-a', 81);
    expect((await register(a.url, carol)).status).toBe(201);
    expect((await call('GET', `${b.url}/api/identity/${carol.handle}`)).json).toMatchObject({
      handle: carol.handle,
      sign_pub: encodeBase64(carol.signPublicKey),
    });
    const sealed = fakeSealed();
    const post = await postJson(`${room(b, 'idclu001')}/messages`, {
      ...sealed,
      ...signRoomPost(carol, 'idclu001', sealed.ciphertext, Date.now()),
    });
    expect(post.status).toBe(200);
    await postJson(`${room(b, 'idclu001')}/messages`, { sender: 'human', ...fakeSealed() });
    const c = await signed(b.url, carol, 'POST', '/api/rooms/idclu001/claim?timeout=1', Date.now(), {
      handle: carol.handle,
    });
    expect(c.json.message.sender).toBe('human');
    expect((await postJson(`${b.url}/api/dm/${carol.handle}`, sealedDm())).status).toBe(200);
    // A third node started later learns the handle from Redis.
    const late = await cluster({ redisUrl: redisUrlOf(a) });
    expect((await call('GET', `${late[1].url}/api/identity/${carol.handle}`)).status).toBe(200);
  });

  it('two nodes registering one handle with different keys at once end up agreeing', async () => {
    const [a, b] = await cluster();
    const first = fixedIdentity('contested', 91);
    const second = fixedIdentity('contested', 92);
    const [ra, rb] = await Promise.all([register(a.url, first), register(b.url, second)]);
    expect([ra.status, rb.status]).toContain(201);
    const deadline = Date.now() + 2000;
    let ka = '';
    let kb = '-';
    while (Date.now() < deadline) {
      ka = (await call('GET', `${a.url}/api/identity/contested`)).json.sign_pub;
      kb = (await call('GET', `${b.url}/api/identity/contested`)).json.sign_pub;
      if (ka === kb) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(ka).toBe(kb);
  });
});

describe('rate limits across nodes', () => {
  it('a profile published through node A is listed by node B, and a signed request replayed on node B is refused', async () => {
    const clock = new TestClock();
    const [a, b] = await cluster({}, clock);
    const agent = fixedIdentity('cluster-agent', 61);
    expect((await register(a.url, agent, clock.now())).status).toBe(201);
    expect(
      (
        await call(
          'PUT',
          `${a.url}/api/agents/${agent.handle}/profile`,
          signedProfile(agent, { summary: 'shared' }, clock.now()),
        )
      ).status,
    ).toBe(201);
    await until(async () => (await call('GET', `${b.url}/api/agents/${agent.handle}`)).status === 200);
    expect((await call('GET', `${b.url}/api/agents?q=shared`)).json.agents).toHaveLength(1);
    // One signed heartbeat, answered by node A...
    clock.advance(1000);
    const path = `/api/agents/${agent.handle}/heartbeat`;
    const header = { authorization: authorizationHeader(agent, 'POST', path, clock.now()) };
    const first = await call('POST', `${a.url}${path}`, undefined, header);
    expect(first.status).toBe(200);
    // ...reaches node B (the heartbeat's effect travels behind its nonce)...
    await until(
      async () =>
        (await call('GET', `${b.url}/api/agents/${agent.handle}`)).json.agent?.listed_until ===
        first.json.listed_until,
    );
    // ...so the same bytes sent again are refused by both nodes.
    for (const n of [b, a])
      expect((await call('POST', `${n.url}${path}`, undefined, header)).json).toEqual({
        error: ERR.badSignature,
      });
    // A withdrawal through node B reaches node A.
    expect(
      (await signed(b.url, agent, 'DELETE', `/api/agents/${agent.handle}/profile`, clock.now())).status,
    ).toBe(200);
    await until(async () => (await call('GET', `${a.url}/api/agents/${agent.handle}`)).status === 404);
  });

  it('a client spreading posts over both nodes gets one budget, not one per node', async () => {
    const [a, b] = await cluster({ limits: { rateBucketCapacity: 6, rateBucketRefillPerS: 0.001 } });
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) {
      codes.push((await postJson(`${room(i % 2 ? a : b, 'ratelim1')}/messages`, fakeSealed())).status);
      // Tokens taken on one node reach the other within a few milliseconds.
      await new Promise((r) => setTimeout(r, 40));
    }
    expect(codes).toEqual([200, 200, 200, 200, 200, 200]);
    const overA = await postJson(`${room(a, 'ratelim1')}/messages`, fakeSealed());
    const overB = await postJson(`${room(b, 'ratelim1')}/messages`, fakeSealed());
    expect([overA.status, overB.status]).toEqual([429, 429]);
    expect(overB.json).toEqual({ error: ERR.rateLimited });
    // Another room is another bucket, on both nodes.
    expect((await postJson(`${room(b, 'ratelim2')}/messages`, fakeSealed())).status).toBe(200);
  });
});

describe('the signed-only lock across nodes', () => {
  it('a lock set through node A is announced on node B and enforced there', async () => {
    const [a, b] = await cluster();
    const owner = fixedIdentity('cluster-owner', 61);
    expect((await register(a.url, owner)).status).toBe(201);
    const watcher = new WsClient(`${room(b, 'lockclu1').replace('http', 'ws')}/ws`);
    await watcher.next((f) => f.type === 'ready');
    const sealed = fakeSealed();
    const locking = await postJson(`${room(a, 'lockclu1')}/messages`, {
      ...sealed,
      ...signRoomPost(owner, 'lockclu1', sealed.ciphertext, Date.now()),
      signed_only: true,
    });
    expect(locking.status).toBe(200);
    await watcher.next((f) => f.type === 'locked');
    const msg = await watcher.next((f) => f.type === 'message');
    expect(msg.seq).toBe(locking.json.seq);
    // `locked` comes before the message that set it.
    expect(watcher.frames.findIndex((f) => f.type === 'locked')).toBeLessThan(watcher.frames.indexOf(msg));
    const refused = await postJson(`${room(b, 'lockclu1')}/messages`, fakeSealed());
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({ error: ERR.signedOnlyLocked });
    await watcher.close();
  });
});

describe('the Redis the relay is given', () => {
  it('an unreachable Redis stops the relay at start with a clear error', async () => {
    await expect(createRelay(defaultConfig({ port: 0, redisUrl: 'redis://127.0.0.1:1/0' }))).rejects.toThrow(
      /cannot reach Redis at redis:\/\/127\.0\.0\.1:1\/0/,
    );
    await expect(createRelay(defaultConfig({ port: 0, redisUrl: 'http://127.0.0.1:1' }))).rejects.toThrow(
      /REDIS_URL must start with redis:\/\//,
    );
  });

  it('warns when Redis persists to disk, and is quiet when it does not', async () => {
    const url = await freshRedisUrl(redisUrl());
    const target = parseRedisUrl(url);
    const client = await openRedis(url, target, 'test');
    try {
      const lines: string[] = [];
      expect(await checkPersistence(client, target, (l) => lines.push(l))).toBe(true);
      expect(lines).toEqual([]);
      await client.config('SET', 'save', '3600 1');
      try {
        expect(await checkPersistence(client, target, (l) => lines.push(l))).toBe(false);
      } finally {
        // Never leave a save point behind: redis-server would write dump.rdb when it stops.
        await client.config('SET', 'save', '');
      }
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/persists to disk: save "3600 1"/);
      expect(lines[0]).toMatch(/--save "" --appendonly no/);
    } finally {
      client.disconnect();
    }
  });

  it('masks a password in the URL it reports', () => {
    expect(parseRedisUrl('redis://user:hunter2@127.0.0.1:6379/3')).toEqual({
      display: 'redis://user:***@127.0.0.1:6379/3',
      db: 3,
    });
    expect(() => parseRedisUrl('redis://127.0.0.1:6379/x')).toThrow(
      /database must be a non-negative integer/,
    );
  });
});
