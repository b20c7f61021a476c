import { afterEach, describe, expect, it } from 'vitest';
import { ERR } from '../../protocol/index.js';
import { SseClient, WsClient, fakeSealed, getJson, postJson } from '../../test-support/clients.js';
import { TestClock, startRelay, type TestRelay } from '../../test-support/relay.js';

let r: TestRelay | null = null;
afterEach(async () => {
  await r?.close();
  r = null;
});
const http = (id: string) => `${r!.url}/api/rooms/${id}`;
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

describe('TTL and buffers', () => {
  it('a message past its ttl_ms leaves the buffer; a message without one stays', async () => {
    const clock = new TestClock();
    r = await startRelay({}, clock);
    await postJson(`${http('ttlroom1')}/messages`, { ...fakeSealed(), ttl_ms: 30_000 });
    const keep = (await postJson(`${http('ttlroom1')}/messages`, fakeSealed())).json.seq;
    expect((await getJson(`${http('ttlroom1')}/transcript`)).json.count).toBe(2);
    clock.advance(30_001);
    const t = await getJson(`${http('ttlroom1')}/transcript`);
    expect(t.json.messages.map((m: { seq: number }) => m.seq)).toEqual([keep]);
    // A late joiner does not receive the expired message either.
    const late = new SseClient(`${http('ttlroom1')}/events`);
    await late.next((f) => f.type === 'ready');
    expect(late.messages().map((m) => m.seq)).toEqual([keep]);
    late.close();
  });

  it('drops messages older than 24 h and keeps at most 2000', async () => {
    const clock = new TestClock();
    r = await startRelay({ limits: { rateBucketCapacity: 5000, globalBucketCapacity: 5000 } }, clock);
    await postJson(`${http('oldroom1')}/messages`, fakeSealed());
    clock.advance(24 * 3600_000 + 1);
    const fresh = (await postJson(`${http('oldroom1')}/messages`, fakeSealed())).json.seq;
    expect(
      (await getJson(`${http('oldroom1')}/transcript`)).json.messages.map((m: { seq: number }) => m.seq),
    ).toEqual([fresh]);
    const w = new WsClient(`${http('cap2000').replace('http', 'ws')}/ws`);
    await w.next((f) => f.type === 'ready');
    for (let i = 0; i < 2010; i++) w.send(fakeSealed(8));
    await w.count('message', 2010);
    const s = await getJson(`${http('cap2000')}/status`);
    expect(s.json.recent_count).toBe(2000);
    await w.close();
  });
});

describe('eviction', () => {
  it('a room with no subscribers goes after the grace period, with its buffer and lock', async () => {
    r = await startRelay({ limits: { roomGraceMs: 200, janitorIntervalMs: 50 } });
    await postJson(`${http('evicted1')}/messages`, fakeSealed());
    const held = new SseClient(`${http('heldroom')}/events`);
    await held.next((f) => f.type === 'ready');
    await sleep(500);
    expect((await getJson(`${http('evicted1')}/status`)).json.exists).toBe(false);
    expect((await getJson(`${http('heldroom')}/status`)).json.exists).toBe(true);
    held.close();
  });

  it('a recreated room starts its seq above every seq it gave out before', async () => {
    const clock = new TestClock();
    r = await startRelay(
      { limits: { roomGraceMs: 100, janitorIntervalMs: 50, rateBucketCapacity: 1000 } },
      clock,
    );
    const w = new WsClient(`${http('reborn01').replace('http', 'ws')}/ws`);
    await w.next((f) => f.type === 'ready');
    for (let i = 0; i < 300; i++) w.send(fakeSealed(8));
    const last = (await w.count('message', 300)).at(-1)!.seq as number;
    await w.close();
    await sleep(300);
    expect((await getJson(`${http('reborn01')}/status`)).json.exists).toBe(false);
    // The wall clock stepped back (or the room had burned through seqs faster than ms passed):
    // Date.now() alone would restart the room below seqs that clients already hold.
    clock.advance(-10_000);
    const again = (await postJson(`${http('reborn01')}/messages`, fakeSealed())).json.seq;
    expect(again).toBeGreaterThan(last);
  });

  it('at the room cap the oldest idle room makes way; with none idle, 503 room cap reached', async () => {
    r = await startRelay({ limits: { roomsMax: 2 } });
    const a = new SseClient(`${http('caproom1')}/events`);
    await a.next((f) => f.type === 'ready');
    await postJson(`${http('caproom2')}/messages`, fakeSealed());
    const third = await postJson(`${http('caproom3')}/messages`, fakeSealed());
    expect(third.status).toBe(200);
    expect((await getJson(`${http('caproom2')}/status`)).json.exists).toBe(false);
    const b = new SseClient(`${http('caproom3')}/events`);
    await b.next((f) => f.type === 'ready');
    const fourth = await postJson(`${http('caproom4')}/messages`, fakeSealed());
    expect(fourth.status).toBe(503);
    expect(fourth.json).toEqual({ error: ERR.roomCap });
    expect(fourth.headers.get('retry-after')).toBe('60');
    const sse = new SseClient(`${http('caproom5')}/events`);
    expect(await sse.next((f) => f.type === 'error')).toEqual({ type: 'error', error: ERR.roomCap });
    a.close();
    b.close();
  });
});

describe('abuse limits', () => {
  it('posts over the bucket get 429 with Retry-After, shared by HTTP and WebSocket', async () => {
    r = await startRelay({ limits: { rateBucketCapacity: 5, rateBucketRefillPerS: 0.001 } });
    const codes: number[] = [];
    for (let i = 0; i < 4; i++)
      codes.push((await postJson(`${http('ratelim1')}/messages`, fakeSealed())).status);
    expect(codes).toEqual([200, 200, 200, 200]);
    const w = new WsClient(`${http('ratelim1').replace('http', 'ws')}/ws`);
    await w.next((f) => f.type === 'ready');
    w.send(fakeSealed());
    w.send(fakeSealed());
    expect(await w.next((f) => f.type === 'error')).toEqual({
      type: 'error',
      code: 429,
      error: ERR.rateLimited,
    });
    const over = await postJson(`${http('ratelim1')}/messages`, fakeSealed());
    expect(over.status).toBe(429);
    expect(over.json).toEqual({ error: ERR.rateLimited });
    expect(over.headers.get('retry-after')).toBe('1');
    // Another room has its own bucket.
    expect((await postJson(`${http('ratelim2')}/messages`, fakeSealed())).status).toBe(200);
    await w.close();
  });

  it('the per-IP stream cap answers 429 on SSE and an error frame on WebSocket', async () => {
    r = await startRelay({ limits: { streamsPerIp: 2 } });
    const a = new SseClient(`${http('streams1')}/events`);
    const b = new WsClient(`${http('streams1').replace('http', 'ws')}/ws`);
    await a.next((f) => f.type === 'ready');
    await b.next((f) => f.type === 'ready');
    const c = await fetch(`${http('streams1')}/events`);
    expect(c.status).toBe(429);
    expect(await c.json()).toEqual({ error: ERR.tooManyStreams });
    const d = new WsClient(`${http('streams1').replace('http', 'ws')}/ws`);
    expect(await d.next((f) => f.type === 'error')).toEqual({
      type: 'error',
      code: 429,
      error: ERR.tooManyStreams,
    });
    a.close();
    await b.close();
    await sleep(50);
    const e = new SseClient(`${http('streams1')}/events`);
    expect(await e.status).toBe(200);
    e.close();
  });

  it('waiter caps per IP and per room', async () => {
    r = await startRelay({ limits: { waitersPerIp: 2, waitersPerRoom: 100 } });
    await postJson(`${http('waitcap1')}/messages`, fakeSealed());
    const last = (await getJson(`${http('waitcap1')}/status`)).json.last_seq;
    const parked = [
      getJson(`${http('waitcap1')}/wait?after=${last}&timeout=3`),
      getJson(`${http('waitcap1')}/wait?after=${last}&timeout=3`),
    ];
    await sleep(100);
    const third = await getJson(`${http('waitcap1')}/wait?after=${last}&timeout=3`);
    expect(third.status).toBe(429);
    expect(third.json).toEqual({ error: ERR.tooManyIpWaiters });
    await postJson(`${http('waitcap1')}/messages`, fakeSealed());
    for (const p of await Promise.all(parked)) expect(p.json.messages).toHaveLength(1);
  });

  it('the byte fuse refuses with 503 a post that the whole buffer could not hold', async () => {
    r = await startRelay({ limits: { roomBufferBytesMax: 3000 } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await postJson(`${http('fuse0001')}/messages`, fakeSealed(300))).status);
    const kept = (await getJson(`${http('fuse0001')}/transcript`)).json.count;
    const last = await postJson(`${http('fuse0001')}/messages`, fakeSealed(2000));
    expect(statuses).toEqual([200, 200, 200]);
    expect(kept).toBeGreaterThan(0);
    expect(last.status).toBe(503);
    // Refusing it cost the room nothing.
    expect((await getJson(`${http('fuse0001')}/transcript`)).json.count).toBe(kept);
    expect(last!.json).toEqual({ error: ERR.roomBufferFull });
  });
});
