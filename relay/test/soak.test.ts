import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseClient, WsClient, fakeSealed, getJson, postJson } from '../../test-support/clients.js';
import { startRelay, type TestRelay } from '../../test-support/relay.js';

let r: TestRelay;
beforeAll(async () => {
  // Throughput, not limits: every bucket a poster or reader takes from is lifted.
  r = await startRelay({
    limits: {
      rateBucketCapacity: 100_000,
      globalBucketCapacity: 100_000,
      requestBucketCapacity: 100_000,
      wsPostCap: 100_000,
      wsPostRefillPerS: 100_000,
    },
  });
});
afterAll(() => r.close());

/** A long-poll reader that follows the room with ?after= the way HTTP-only agents do. */
function longPoller(base: string, stop: () => boolean): { seqs: number[]; done: Promise<void> } {
  const seqs: number[] = [];
  const done = (async () => {
    let after = 0;
    while (!stop()) {
      const w = await getJson(`${base}/wait?after=${after}&timeout=2`);
      for (const m of w.json.messages as Array<{ seq: number }>) {
        seqs.push(m.seq);
        after = m.seq;
      }
    }
  })();
  return { seqs, done };
}

describe('soak', () => {
  it('3000 messages from HTTP and WebSocket posters reach WS, SSE and long-poll readers: none lost, doubled or reordered', async () => {
    const room = 'soakroom01';
    const base = `${r.url}/api/rooms/${room}`;
    const wsUrl = `${base.replace('http', 'ws')}/ws`;
    await postJson(`${base}/messages`, { sender: 'opener', ...fakeSealed() });
    const wsReaders = [new WsClient(wsUrl), new WsClient(wsUrl), new WsClient(wsUrl)];
    const sseReaders = [
      new SseClient(`${base}/events`),
      new SseClient(`${base}/events`),
      new SseClient(`${base}/events`),
    ];
    for (const c of [...wsReaders, ...sseReaders]) await c.next((f) => f.type === 'ready');
    let stopping = false;
    const pollers = [longPoller(base, () => stopping), longPoller(base, () => stopping)];

    const wsPosters = [new WsClient(wsUrl), new WsClient(wsUrl)];
    for (const p of wsPosters) await p.next((f) => f.type === 'ready');
    const PER = 750;
    const httpPoster = async (name: string) => {
      for (let i = 0; i < PER; i += 25) {
        await Promise.all(
          Array.from({ length: 25 }, () => postJson(`${base}/messages`, { sender: name, ...fakeSealed(64) })),
        );
      }
    };
    wsPosters.forEach((p, i) => {
      for (let k = 0; k < PER; k++) p.send({ sender: `ws${i}`, ...fakeSealed(64) });
    });
    await Promise.all([httpPoster('http0'), httpPoster('http1')]);
    const total = 1 + 4 * PER;

    const expected = (await wsReaders[0]!.count('message', total, 30_000)).map((m) => m.seq as number);
    for (let i = 1; i < expected.length; i++) expect(expected[i]! - expected[i - 1]!).toBe(1);
    for (const c of [...wsReaders, ...sseReaders]) {
      const seqs = (await c.count('message', total, 30_000)).map((m) => m.seq as number);
      expect(seqs).toEqual(expected);
    }
    const deadline = Date.now() + 20_000;
    while (pollers.some((p) => p.seqs.length < total) && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 50));
    stopping = true;
    for (const p of pollers) expect(p.seqs).toEqual(expected);
    await Promise.all(pollers.map((p) => p.done));
    for (const c of [...wsReaders, ...wsPosters]) await c.close();
    for (const c of sseReaders) c.close();
  }, 90_000);
});
