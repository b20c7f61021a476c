import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERR } from '../../protocol/index.js';
import { fakeSealed, postJson } from '../../test-support/clients.js';
import { TestClock, startRelay, type TestRelay } from '../../test-support/relay.js';
import { call, fixedIdentity, register, signed } from './identity-helpers.js';

let r: TestRelay;
const clock = new TestClock();
const worker = fixedIdentity('worker-one', 21);
const other = fixedIdentity('worker-two', 31);
beforeAll(async () => {
  r = await startRelay({}, clock);
  expect((await register(r.url, worker, clock.now())).status).toBe(201);
  expect((await register(r.url, other, clock.now())).status).toBe(201);
});
afterAll(() => r.close());

const claim = (room: string, id = worker, q = 'timeout=1', body: Record<string, unknown> = {}) =>
  signed(r.url, id, 'POST', `/api/rooms/${room}/claim?${q}`, clock.now(), { handle: id.handle, ...body });
const ack = (room: string, claimId: string, seq: number, id = worker) =>
  signed(r.url, id, 'POST', `/api/rooms/${room}/ack`, clock.now(), {
    handle: id.handle,
    claim_id: claimId,
    seq,
  });
const post = async (room: string, sender = 'human') =>
  (await postJson(`${r.url}/api/rooms/${room}/messages`, { sender, ...fakeSealed() })).json.seq as number;

describe('claim / ack', () => {
  it('a missing room answers empty at once', async () => {
    const c = await claim('claimnone', worker, 'timeout=20');
    expect(c.json).toEqual({ ok: true, empty: true, last_seq: 0, cursor: 0, exists: false });
  });

  it('a fresh cursor delivers the whole buffer in order; ack advances; re-ack is a no-op', async () => {
    const s1 = await post('claim001');
    const s2 = await post('claim001');
    const c1 = await claim('claim001');
    expect(c1.json).toMatchObject({ ok: true, message: { seq: s1 }, cursor: s1 - 1, last_seq: s2 });
    // Idempotent while the lease holds: the same claim again.
    const again = await claim('claim001');
    expect(again.json.claim_id).toBe(c1.json.claim_id);
    expect((await ack('claim001', c1.json.claim_id, s1)).json).toEqual({
      ok: true,
      advanced: true,
      cursor: s1,
    });
    expect((await ack('claim001', c1.json.claim_id, s1)).json).toEqual({
      ok: true,
      advanced: false,
      cursor: s1,
    });
    const c2 = await claim('claim001');
    expect(c2.json.message.seq).toBe(s2);
    const stale = await ack('claim001', 'not-the-claim', s2);
    expect(stale.status).toBe(409);
    expect(stale.json).toEqual({ error: ERR.staleClaim, cursor: s1 });
  });

  it('an expired lease redelivers the same message under a new claim id', async () => {
    const s = await post('claim002');
    const first = await claim('claim002');
    expect(first.json.message.seq).toBe(s);
    clock.advance(61_000);
    const second = await claim('claim002');
    expect(second.json.message.seq).toBe(s);
    expect(second.json.claim_id).not.toBe(first.json.claim_id);
    expect((await ack('claim002', first.json.claim_id, s)).status).toBe(409);
    expect((await ack('claim002', second.json.claim_id, s)).json.advanced).toBe(true);
  });

  it('the lease is clamped to 60–300 s', async () => {
    const s = await post('claim003');
    const c = await claim('claim003', worker, 'timeout=1&ttl_ms=1000');
    clock.advance(30_000);
    expect((await claim('claim003', worker, 'timeout=1&ttl_ms=1000')).json.claim_id).toBe(c.json.claim_id);
    clock.advance(31_000);
    expect((await claim('claim003', worker, 'timeout=1&ttl_ms=1000')).json.claim_id).not.toBe(
      c.json.claim_id,
    );
    expect(s).toBeGreaterThan(0);
  });

  it("never hands out the caller's own messages or excluded senders", async () => {
    await post('claim004', '@worker-one');
    await post('claim004', 'worker-one');
    await post('claim004', 'my-label');
    const theirs = await post('claim004', 'someone');
    const c = await claim('claim004', worker, 'timeout=1', { exclude_senders: ['my-label', 7] });
    expect(c.json.message.seq).toBe(theirs);
  });

  it('parks until a claimable message arrives, ignoring ones it may not claim', async () => {
    await post('claim005', 'someone');
    const c0 = await claim('claim005');
    await ack('claim005', c0.json.claim_id, c0.json.message.seq);
    const parked = claim('claim005', worker, 'timeout=5');
    await new Promise((res) => setTimeout(res, 150));
    await post('claim005', '@worker-one'); // our own echo: not claimable, keep waiting
    await new Promise((res) => setTimeout(res, 150));
    const wanted = await post('claim005', 'someone');
    const got = await parked;
    expect(got.json.message.seq).toBe(wanted);
  });

  it('cursors are per handle', async () => {
    const s = await post('claim006');
    const a = await claim('claim006', worker);
    const b = await claim('claim006', other);
    expect(a.json.message.seq).toBe(s);
    expect(b.json.message.seq).toBe(s);
    expect(b.json.claim_id).not.toBe(a.json.claim_id);
  });

  it('errors in order: bad handle, no such handle, bad signature', async () => {
    const badHandle = await call('POST', `${r.url}/api/rooms/claim007/claim`, { handle: 'Bad Handle!' });
    expect(badHandle.status).toBe(400);
    expect(badHandle.json).toEqual({ error: ERR.badHandle });
    const unknown = await call('POST', `${r.url}/api/rooms/claim007/claim`, { handle: 'ghost-handle' });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toEqual({ error: ERR.noSuchHandle });
    const unsigned = await call('POST', `${r.url}/api/rooms/claim007/claim`, { handle: worker.handle });
    expect(unsigned.status).toBe(401);
    expect(unsigned.json).toEqual({ error: ERR.badSignature });
    // Signed over a different query than the one sent.
    const wrongUrl = await call(
      'POST',
      `${r.url}/api/rooms/claim007/claim?timeout=2`,
      { handle: worker.handle },
      {
        authorization: (await import('../../protocol/index.js')).authorizationHeader(
          worker,
          'POST',
          '/api/rooms/claim007/claim?timeout=1',
          clock.now(),
        ),
      },
    );
    expect(wrongUrl.status).toBe(401);
    const noCursor = await ack('claim007', 'x', 5);
    expect(noCursor.json).toEqual({ ok: true, advanced: false, cursor: 0 });
  });
});
