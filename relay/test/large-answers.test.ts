/**
 * Streamed list answers (`/wait`, `/transcript`) are read from the room in pages. A reader that
 * pauses mid-answer while the room's retention moves on must still get a list without holes,
 * and small messages must not cost a backend round trip each few messages.
 */
import { request, type IncomingMessage } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../protocol/index.js';
import { fakeSealed, getJson, postJson } from '../../test-support/clients.js';
import { TestClock, startRelay, type TestRelay } from '../../test-support/relay.js';

const relays: TestRelay[] = [];
afterAll(async () => {
  await Promise.all(relays.map((r) => r.close()));
});

/** GET whose answer is not read until `resume()`: the relay meets back-pressure meanwhile. */
function pausedGet(url: string): Promise<{ res: IncomingMessage; body: () => Promise<string> }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      res.pause();
      const chunks: Buffer[] = [];
      const body = () =>
        new Promise<string>((done, fail) => {
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
          res.on('error', fail);
          res.resume();
        });
      resolve({ res, body });
    })
      .on('error', reject)
      .end();
  });
}

/** Resolves once the relay has stopped sending: the socket buffers are full and it waits for a drain. */
async function stalled(res: IncomingMessage): Promise<void> {
  let last = -1;
  for (let still = 0; still < 4;) {
    await new Promise((r) => setTimeout(r, 50));
    const now = res.socket.bytesRead;
    still = now === last ? still + 1 : 0;
    last = now;
  }
}

const seqsOf = (doc: { messages: { seq: number }[] }) => doc.messages.map((m) => m.seq);

function expectNoHoles(seqs: number[]): void {
  for (let i = 1; i < seqs.length; i++) expect(seqs[i]! - seqs[i - 1]!).toBe(1);
}

describe('streamed list answers', () => {
  it('a reader paused mid-answer while retention drops what it has not read yet gets a list without holes, then the rest', async () => {
    const clock = new TestClock();
    const r = await startRelay(
      { limits: { roomBytesPerRoom: 128 * 1024 * 1024, roomBytesPerIp: 128 * 1024 * 1024 } },
      clock,
    );
    relays.push(r);
    const base = `${r.url}/api/rooms/pagedroom1`;
    const big = fakeSealed(98_304); // the ciphertext cap: a page holds only a few of these
    for (let i = 0; i < 60; i++)
      expect(
        (await postJson(`${base}/messages`, { sender: 'a', ...big, nonce: fakeSealed(0).nonce })).status,
      ).toBe(200);

    for (const path of ['wait?after=0', 'transcript?limit=500']) {
      const paused = await pausedGet(`${base}/${path}`);
      expect(paused.res.statusCode).toBe(200);
      await stalled(paused.res);
      // Everything the reader has not taken yet ages out of the room; one newer message stays.
      clock.advance(LIMITS.replayMaxAgeMs + 60_000);
      const newest = (await postJson(`${base}/messages`, { sender: 'a', ...fakeSealed(64) })).json
        .seq as number;
      const doc = JSON.parse(await paused.body()) as { messages: { seq: number }[]; last_seq: number };
      const seqs = seqsOf(doc);
      expect(seqs.length).toBeGreaterThan(0);
      expectNoHoles(seqs);
      expect(doc.last_seq).toBe(newest);
      // The next read resumes after what was listed and reaches the newest message.
      const next = await getJson(`${base}/wait?after=${seqs[seqs.length - 1]}&timeout=1`);
      expect(seqsOf(next.json as { messages: { seq: number }[] })).toEqual([newest]);
      for (let i = 0; i < 60; i++)
        expect(
          (await postJson(`${base}/messages`, { sender: 'a', ...big, nonce: fakeSealed(0).nonce })).status,
        ).toBe(200);
    }
  }, 60_000);

  it('a backlog of small messages is answered whole by a /wait, then the next /wait parks on the same connection', async () => {
    const r = await startRelay({ limits: { rateBucketCapacity: 10_000, globalBucketCapacity: 10_000 } });
    relays.push(r);
    const base = `${r.url}/api/rooms/pagedroom2`;
    const posted: number[] = [];
    for (let i = 0; i < 300; i += 25) {
      const batch = await Promise.all(
        Array.from({ length: 25 }, () => postJson(`${base}/messages`, { sender: 'b', ...fakeSealed(64) })),
      );
      posted.push(...batch.map((p) => p.json.seq as number));
    }
    posted.sort((a, b) => a - b);
    const w = await getJson(`${base}/wait?after=0&timeout=1`);
    expect(seqsOf(w.json as { messages: { seq: number }[] })).toEqual(posted);
    const parked = await getJson(`${base}/wait?after=${posted[posted.length - 1]}&timeout=1`);
    expect(parked.status).toBe(200);
    expect(parked.json).toEqual({ messages: [], last_seq: posted[posted.length - 1] });
  }, 60_000);
});
