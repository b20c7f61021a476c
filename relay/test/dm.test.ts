import { afterEach, describe, expect, it } from 'vitest';
import { ERR, LIMITS, encodeBase64 } from '../../protocol/index.js';
import { TestClock, startRelay, type TestRelay } from '../../test-support/relay.js';
import { call, fixedIdentity, register, sealedDm, signDm, signed } from './identity-helpers.js';

let r: TestRelay | null = null;
afterEach(async () => {
  await r?.close();
  r = null;
});
const alice = fixedIdentity('alice');
const bob = fixedIdentity('bob');
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((res) => setTimeout(res, 20));
  expect(cond()).toBe(true);
}
const send = (to: string, body: unknown) => call('POST', `${r!.url}/api/dm/${to}`, body);
const inbox = (after = 0, timeout = 1, id = alice) =>
  signed(r!.url, id, 'GET', `/api/dm/${id.handle}/inbox/wait?after=${after}&timeout=${timeout}`);

async function setup(overrides: Parameters<typeof startRelay>[0] = {}, clock?: TestClock): Promise<void> {
  r = await startRelay(overrides, clock);
  expect((await register(r.url, alice, clock?.now())).status).toBe(201);
  expect((await register(r.url, bob, clock?.now())).status).toBe(201);
}

describe('DMs', () => {
  it('delivers unsigned and signed DMs; seqs start near the clock and step by one; no _bytes', async () => {
    await setup();
    const before = Date.now();
    const a = await send('@Alice', sealedDm());
    expect(a.status).toBe(200);
    expect(a.json).toEqual({
      ok: true,
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      seq: expect.any(Number),
    });
    expect(a.json.seq).toBeGreaterThan(before);
    const env = sealedDm();
    const b = await send('alice', signDm(bob, 'alice', env));
    expect(b.json.seq).toBeGreaterThan(a.json.seq);
    // A claimed sender without a signature is never passed on.
    await send('alice', { ...sealedDm(), from_handle: 'bob' });
    const got = await inbox();
    expect(got.status).toBe(200);
    expect(got.json.has_more).toBe(false);
    expect(got.json.last_seq).toBe(got.json.messages[2].seq);
    expect(got.json.messages).toHaveLength(3);
    expect(got.json.messages[0]).toEqual({
      seq: a.json.seq,
      id: a.json.id,
      ciphertext: expect.any(String),
      nonce: expect.any(String),
      sender_eph_pub: expect.any(String),
      from_handle: null,
      from_verified: false,
      ts: expect.any(Number),
    });
    expect(got.json.messages[1]).toMatchObject({ ...env, from_handle: 'bob', from_verified: true });
    expect(got.json.messages[2]).toMatchObject({ from_handle: null, from_verified: false });
    expect(got.text).not.toContain('_bytes');
    // Reading does not remove; after= filters.
    expect((await inbox(b.json.seq)).json.messages.map((m: { seq: number }) => m.seq)).toEqual([
      got.json.messages[2].seq,
    ]);
  });

  it('checks a send in the reference order', async () => {
    await setup({ limits: { dmBufferBytesMax: 4000 } });
    const ok = sealedDm();
    const expectErr = async (to: string, body: unknown, status: number, error: string) => {
      const res = await send(to, body);
      expect([res.status, res.json.error]).toEqual([status, error]);
      return res;
    };
    await expectErr('Not_Valid!', ok, 400, ERR.invalidHandle);
    await expectErr('nobody', ok, 404, ERR.noSuchHandle);
    await expectErr('alice', { ...ok, nonce: undefined }, 400, ERR.dmFieldsRequired);
    await expectErr('alice', { ...ok, ciphertext: '' }, 400, ERR.dmFieldsRequired);
    await expectErr(
      'alice',
      { ...ok, ciphertext: encodeBase64(new Uint8Array(LIMITS.dmCiphertextBytes + 3)) },
      400,
      ERR.dmTooLarge,
    );
    await expectErr('alice', { ...ok, ciphertext: `${ok.ciphertext} ` }, 400, ERR.dmCiphertextNotCanonical);
    await expectErr(
      'alice',
      { ...ok, nonce: encodeBase64(new Uint8Array(23)) },
      400,
      ERR.dmNonceNotCanonical,
    );
    await expectErr(
      'alice',
      { ...ok, sender_eph_pub: ok.sender_eph_pub.replace(/=$/, '') },
      400,
      ERR.dmEphNotCanonical,
    );
    const s = signDm(bob, 'alice', ok);
    await expectErr('alice', { ...s, from_sig: 'AAAA' }, 400, ERR.dmFromSigNotCanonical);
    await expectErr('alice', signDm(bob, 'alice', ok, Date.now() - 120_000), 400, ERR.dmFromSkew);
    await expectErr('alice', { ...s, from_handle: 'carol' }, 400, ERR.dmFromNotRegistered);
    // Claims to be bob but is signed with alice's key.
    await expectErr(
      'alice',
      { ...s, from_sig: signDm(alice, 'alice', ok, s.from_ts).from_sig },
      401,
      ERR.dmFromSigBad,
    );
    expect((await send('alice', s)).status).toBe(200);
    await expectErr('alice', s, 401, ERR.dmEnvelopeSeen);
    // The byte fuse: each envelope costs its ciphertext length + 512, and one the whole fuse
    // could not hold is refused.
    const res = await send('alice', sealedDm(3600));
    expect([res.status, res.json.error, res.headers.get('retry-after')]).toEqual([
      503,
      ERR.dmBufferFull,
      '60',
    ]);
  });

  it('rate limits sends per recipient (429, Retry-After 1) before looking the handle up', async () => {
    await setup({ limits: { rateBucketCapacity: 2, rateBucketRefillPerS: 0.001 } });
    await send('nobody', sealedDm());
    await send('nobody', sealedDm());
    const res = await send('nobody', sealedDm());
    expect([res.status, res.json.error, res.headers.get('retry-after')]).toEqual([429, ERR.rateLimited, '1']);
    // Another recipient has its own bucket (the global one is larger).
    expect((await send('alice', sealedDm())).status).toBe(200);
  });

  it('the inbox wait parks, wakes on a new DM, and times out with last_seq = after', async () => {
    await setup();
    const t0 = Date.now();
    const empty = await inbox(0, 1);
    expect(empty.json).toEqual({ messages: [], last_seq: 0 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    const parked = inbox(0, 10);
    await new Promise((res) => setTimeout(res, 150));
    const sent = await send('alice', sealedDm());
    const woke = await parked;
    expect(woke.json.messages.map((m: { id: string }) => m.id)).toEqual([sent.json.id]);
    expect(woke.json.last_seq).toBe(sent.json.seq);
    expect(woke.json.has_more).toBeUndefined();
  });

  it('returns at most 50 at once with has_more', async () => {
    await setup();
    for (let i = 0; i < 55; i++) await send('alice', signDm(bob, 'alice', sealedDm(8)));
    const first = await inbox();
    expect(first.json.messages).toHaveLength(LIMITS.dmWaitBatch);
    expect(first.json.has_more).toBe(true);
    const rest = await inbox(first.json.last_seq);
    expect([rest.json.messages.length, rest.json.has_more]).toEqual([5, false]);
  });

  it('owner routes: 400, 404, 429 before the signature check, then 401', async () => {
    await setup({ limits: { rateBucketCapacity: 3, rateBucketRefillPerS: 0.001 } });
    const bad = await call('GET', `${r!.url}/api/dm/BAD!/inbox/wait`);
    expect([bad.status, bad.json.error]).toEqual([400, ERR.invalidHandle]);
    const none = await call('GET', `${r!.url}/api/dm/nobody/inbox/wait`);
    expect([none.status, none.json.error]).toEqual([404, ERR.noSuchHandle]);
    const unsigned = await call('GET', `${r!.url}/api/dm/alice/inbox/wait?timeout=1`);
    expect([unsigned.status, unsigned.json.error]).toEqual([401, ERR.badSignature]);
    // Bob's key cannot read Alice's inbox; a signature over another URL does not count either.
    const wrongKey = await call('GET', `${r!.url}/api/dm/alice/inbox/wait?timeout=1`, undefined, {
      authorization: (await import('../../protocol/index.js')).authorizationHeader(
        bob,
        'GET',
        '/api/dm/alice/inbox/wait?timeout=1',
      ),
    });
    expect(wrongKey.status).toBe(401);
    const otherUrl = await call('GET', `${r!.url}/api/dm/alice/inbox/wait?timeout=2`, undefined, {
      authorization: (await import('../../protocol/index.js')).authorizationHeader(
        alice,
        'GET',
        '/api/dm/alice/inbox/wait?timeout=1',
      ),
    });
    expect(otherUrl.status).toBe(401);
    const limited = await call('GET', `${r!.url}/api/dm/alice/inbox/wait`);
    expect([limited.status, limited.json.error, limited.headers.get('retry-after')]).toEqual([
      429,
      ERR.rateLimited,
      '5',
    ]);
  });

  it('a replayed signature header is refused', async () => {
    await setup();
    await send('alice', sealedDm());
    const path = '/api/dm/alice/inbox/wait?after=0&timeout=1';
    const { authorizationHeader } = await import('../../protocol/index.js');
    const header = authorizationHeader(alice, 'GET', path);
    expect((await call('GET', `${r!.url}${path}`, undefined, { authorization: header })).status).toBe(200);
    expect((await call('GET', `${r!.url}${path}`, undefined, { authorization: header })).status).toBe(401);
  });

  it('caps parked waits per IP and per handle', async () => {
    await setup({ limits: { waitersPerIp: 1 } });
    const parked = inbox(0, 3);
    await until(() => r!.relay.deps.identities.inboxes.waiters.count('alice') === 1);
    const second = await inbox(0, 1, bob);
    expect([second.status, second.json.error, second.headers.get('retry-after')]).toEqual([
      429,
      ERR.tooManyIpWaiters,
      '5',
    ]);
    await send('alice', sealedDm());
    expect((await parked).json.messages).toHaveLength(1);
    await r!.close();

    await setup({ limits: { waitersPerIp: 1000 } });
    const waits = Array.from({ length: LIMITS.dmWaitersPerHandle }, () => inbox(0, 5));
    await until(() => r!.relay.deps.identities.inboxes.waiters.count('alice') === LIMITS.dmWaitersPerHandle);
    const over = await inbox(0, 1);
    expect([over.status, over.json.error]).toEqual([429, ERR.tooManyHandleWaiters]);
    await send('alice', sealedDm());
    const all = await Promise.all(waits);
    expect(all.every((w) => w.status === 200 && w.json.messages.length === 1)).toBe(true);
  });

  it('DELETE removes an envelope (owner-signed)', async () => {
    await setup();
    const sent = await send('alice', sealedDm());
    const unsigned = await call('DELETE', `${r!.url}/api/dm/alice/inbox/${sent.json.id}`);
    expect(unsigned.status).toBe(401);
    const del = await signed(r!.url, alice, 'DELETE', `/api/dm/alice/inbox/${sent.json.id}`);
    expect(del.json).toEqual({ ok: true, removed: 1 });
    expect((await signed(r!.url, alice, 'DELETE', `/api/dm/alice/inbox/${sent.json.id}`)).json).toEqual({
      ok: true,
      removed: 0,
    });
    expect((await inbox()).json.messages).toEqual([]);
  });

  it('keeps 32 unverified and 256 in all, evicting unverified first; expires after 7 days', async () => {
    const clock = new TestClock();
    await setup({}, clock);
    const anon: number[] = [];
    for (let i = 0; i < 40; i++) anon.push((await send('alice', sealedDm(8))).json.seq);
    let all = (await signed(r!.url, alice, 'GET', '/api/dm/alice/inbox/wait?timeout=1', clock.now())).json;
    expect(all.messages.length).toBe(LIMITS.dmInboxAnonMax);
    expect(all.messages[0].seq).toBe(anon[8]);
    for (let i = 0; i < 230; i++)
      expect((await send('alice', signDm(bob, 'alice', sealedDm(8), clock.now()))).status).toBe(200);
    const seen: Array<{ from_verified: boolean }> = [];
    let after = 0;
    for (;;) {
      const page = (
        await signed(r!.url, alice, 'GET', `/api/dm/alice/inbox/wait?after=${after}&timeout=1`, clock.now())
      ).json;
      seen.push(...page.messages);
      if (!page.has_more) break;
      after = page.last_seq;
    }
    expect(seen.length).toBe(LIMITS.dmInboxMax);
    expect(seen.filter((m) => !m.from_verified).length).toBe(LIMITS.dmInboxMax - 230);
    clock.advance(LIMITS.dmTtlMs + 1);
    all = (await signed(r!.url, alice, 'GET', '/api/dm/alice/inbox/wait?timeout=1', clock.now())).json;
    expect(all.messages).toEqual([]);
  });
});
