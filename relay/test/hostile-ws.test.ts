/**
 * Hostile WebSocket clients against a real relay: frame floods, and a socket that sends junk and
 * never reads its replies. Bystanders must keep being served within a bound, memory must stay
 * bounded, and a client using the relay as real clients do must never be throttled.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ERR } from '../../protocol/index.js';
import { WsClient, fakeSealed, getJson, postJson } from '../../test-support/clients.js';
import { TestClock, startRelay, type RelayOverrides, type TestRelay } from '../../test-support/relay.js';

let r: TestRelay | null = null;
afterEach(async () => {
  await r?.close();
  r = null;
});

const http = (id: string) => `${r!.url}/api/rooms/${id}`;
const wsUrl = (id: string) => `${http(id).replace('http', 'ws')}/ws`;
const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));
const tick = () => new Promise((res) => setImmediate(res));
const MiB = 1024 * 1024;
/** How long a bystander may wait for an answer while someone floods. */
const SERVED_WITHIN_MS = 2000;

async function start(overrides: RelayOverrides = {}, clock?: TestClock): Promise<TestRelay> {
  r = await startRelay(overrides, clock);
  return r;
}

async function joined(room: string): Promise<WsClient> {
  const c = new WsClient(wsUrl(room));
  await c.next((f) => f.type === 'ready');
  return c;
}

/** Streams open on the relay, as its health route reports them. */
async function openStreams(): Promise<number> {
  return (await getJson(`${r!.url}/api/health`)).json.streams as number;
}

async function waitForStreams(n: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await openStreams()) !== n) {
    if (Date.now() > deadline) throw new Error(`expected ${n} open streams, got ${await openStreams()}`);
    await sleep(50);
  }
}

/** A health answer and a message seen by `reader` after posting to `room`, each within the bound. */
async function bystanderServed(reader: WsClient, room: string): Promise<void> {
  const t0 = Date.now();
  expect((await getJson(`${r!.url}/api/health`)).status).toBe(200);
  expect(Date.now() - t0).toBeLessThan(SERVED_WITHIN_MS);
  const posted = await postJson(`${http(room)}/messages`, fakeSealed());
  expect(posted.status).toBe(200);
  await reader.next((f) => f.type === 'message' && f.seq === posted.json.seq, SERVED_WITHIN_MS);
}

/** Stop a client from reading: its kernel buffers fill and the relay's backlog for it grows. */
function stopReading(c: WsClient): void {
  (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
}

describe('hello flood', () => {
  it('closes the flooding socket with 1008 while members and other rooms keep being served', async () => {
    await start();
    const flooder = await joined('hflood01');
    const member = await joined('hflood01');
    member.send({ type: 'hello', name: 'member' });
    const other = await joined('hother01');
    let sent = 0;
    const flood = (async () => {
      while (flooder.ws.readyState === WebSocket.OPEN && sent < 100_000) {
        for (let i = 0; i < 500; i++)
          flooder.ws.send(JSON.stringify({ type: 'hello', name: `flood${sent++ % 2}` }));
        await tick();
      }
    })();
    await Promise.all([bystanderServed(member, 'hflood01'), bystanderServed(other, 'hother01')]);
    await flood;
    await new Promise((res) => (flooder.closeCode !== null ? res(null) : flooder.ws.once('close', res)));
    expect(flooder.closeCode).toBe(1008);
    // Over budget it heard 429s first, a bounded number of them: its 50 strikes, and what they
    // refilled while the flood lasted.
    const refusals = flooder.frames.filter((f) => f.type === 'error' && f.code === 429);
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals.length).toBeLessThanOrEqual(60);
    expect(refusals[0]).toEqual({ type: 'error', code: 429, error: ERR.rateLimited });
    await sleep(1500);
    expect(member.frames.filter((f) => f.type === 'rename').length).toBeLessThanOrEqual(2);
    await bystanderServed(member, 'hflood01');
    await member.close();
    await other.close();
  });

  it('coalesces renames: one per member and interval, the latest name winning', async () => {
    const intervalMs = 200;
    // Budgets lifted, so only the coalescing stands between the flood and the members.
    await start({ limits: { wsHelloCap: 1e9, wsHelloRefillPerS: 1e9, renameIntervalMs: intervalMs } });
    const flooder = await joined('hcoal001');
    const member = await joined('hcoal001');
    const other = await joined('hcoal002');
    flooder.send({ type: 'hello', name: 'start' });
    await member.next((f) => f.type === 'presence' && (f.names as string[]).includes('start'));
    let n = 0;
    const t0 = Date.now();
    const flood = (async () => {
      while (Date.now() - t0 < 1000) {
        for (let i = 0; i < 500; i++) flooder.ws.send(JSON.stringify({ type: 'hello', name: `n${++n}` }));
        await tick();
      }
    })();
    await Promise.all([bystanderServed(other, 'hcoal002'), bystanderServed(member, 'hcoal001')]);
    await flood;
    const elapsed = Date.now() - t0;
    const last = `n${n}`;
    await member.next((f) => f.type === 'rename' && f.to === last, 5 * intervalMs + 2000);
    const renames = member.frames.filter((f) => f.type === 'rename');
    expect(n).toBeGreaterThan(1000);
    expect(renames.length).toBeLessThanOrEqual(Math.ceil((Date.now() - t0) / intervalMs) + 2);
    expect(renames.length).toBeLessThan(n / 50);
    // Each rename starts from the name the room heard last: a chain, not a jumble.
    for (let i = 1; i < renames.length; i++) expect(renames[i]!.from).toBe(renames[i - 1]!.to);
    expect(renames[0]!.from).toBe('start');
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    await member.next((f) => f.type === 'presence' && (f.names as string[]).includes(last));
    expect(flooder.ws.readyState).toBe(WebSocket.OPEN);
    await flooder.close();
    await member.close();
    await other.close();
  });
});

describe('junk from a socket that never reads', () => {
  it('is dropped once over budget, with memory bounded', async () => {
    await start();
    const other = await joined('hjunk002');
    const junk = await joined('hjunk001');
    stopReading(junk);
    const rss0 = process.memoryUsage().rss;
    for (let round = 0; round < 100 && junk.ws.readyState === WebSocket.OPEN; round++) {
      for (let i = 0; i < 1000; i++) junk.ws.send('not json');
      await tick();
    }
    await bystanderServed(other, 'hjunk002');
    // The close frame waits behind replies it never reads; it is cut off after a grace period.
    await waitForStreams(1, 10_000);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(64 * MiB);
    await other.close();
  });

  it('error replies obey the slow-consumer rule even when the budget allows the junk', async () => {
    const slowConsumerBytes = 64 * 1024;
    await start({ limits: { wsInvalidCap: 1e9, wsInvalidRefillPerS: 1e9, slowConsumerBytes } });
    const other = await joined('hslow002');
    const junk = await joined('hslow001');
    stopReading(junk);
    const rss0 = process.memoryUsage().rss;
    let dropped = false;
    // Loopback kernel buffers take some megabytes of replies before the relay's own backlog grows.
    for (let round = 0; round < 1500 && !dropped; round++) {
      for (let i = 0; i < 1000; i++) junk.ws.send('x');
      await tick();
      if (round % 25 === 24) {
        await bystanderServed(other, 'hslow002');
        dropped = (await openStreams()) === 1;
      }
    }
    await waitForStreams(1, 10_000);
    expect(process.memoryUsage().rss - rss0).toBeLessThan(64 * MiB);
    await bystanderServed(other, 'hslow002');
    await other.close();
  });
});

describe('real clients', () => {
  it('a browser-like client over an hour of simulated use is never refused or closed', async () => {
    const clock = new TestClock();
    await start({}, clock);
    const peer = await joined('hlegit01');
    const c = await joined('hlegit01');
    c.send({ type: 'hello', name: 'alice', box_pub: null });
    // A burst on arrival, as an agent catching up answers a backlog.
    for (let i = 0; i < 100; i++) c.send(fakeSealed(16));
    await c.count('message', 100);
    let posts = 100;
    let name = 'alice';
    // Every 15 s a listening heartbeat, every 60 s a hello probe, a rename every 5 minutes, and a
    // few posts a minute.
    for (let step = 1; step <= 240; step++) {
      clock.advance(15_000);
      c.send({ type: 'listening' });
      if (step % 4 === 0) c.send({ type: 'hello', name });
      if (step % 20 === 0) {
        name = `alice${step}`;
        c.send({ type: 'hello', name });
      }
      for (let i = 0; i < 3; i++) c.send(fakeSealed(16));
      posts += 3;
      // The relay reads the clock when it handles a frame: let this step's frames land first.
      await c.count('message', posts);
    }
    await peer.next((f) => f.type === 'rename' && f.to === name, 5000);
    expect(c.frames.filter((f) => f.type === 'error')).toEqual([]);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    await c.close();
    await peer.close();
  });
});
