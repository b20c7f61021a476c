import { afterEach, describe, expect, it } from 'vitest';
import { ERR, LIMITS, encodeBase64, registerBody, registerText, signText } from '../../protocol/index.js';
import { TestClock, startRelay, type TestRelay } from '../../test-support/relay.js';
import { call, fixedIdentity } from './identity-helpers.js';

let r: TestRelay | null = null;
afterEach(async () => {
  await r?.close();
  r = null;
});
const reg = (body: unknown, headers: Record<string, string> = {}) =>
  call('POST', `${r!.url}/api/identity/register`, body, headers);

describe('POST /api/identity/register', () => {
  it('registers a handle (201) and GET returns its public keys, @ stripped and lowercased', async () => {
    r = await startRelay();
    const alice = fixedIdentity('alice');
    const body = registerBody(alice, Date.now(), 'hello '.repeat(100));
    const res = await reg(body);
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ ok: true, handle: 'alice', registered_at: expect.any(Number) });
    const got = await call('GET', `${r.url}/api/identity/@ALICE`);
    expect(got.status).toBe(200);
    expect(got.json).toEqual({
      handle: 'alice',
      box_pub: body.box_pub,
      sign_pub: body.sign_pub,
      registered_at: res.json.registered_at,
      meta: { bio: 'hello '.repeat(100).slice(0, LIMITS.bioMaxChars) },
    });
    const missing = await call('GET', `${r.url}/api/identity/nobody`);
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: ERR.noSuchHandle });
  });

  it('checks handle, reservation and key form in the reference order', async () => {
    r = await startRelay({ identityAdminToken: 'sekrit-token' });
    const a = registerBody(fixedIdentity('alice'));
    for (const handle of ['Alice', 'a', '-ab', 'x'.repeat(33), 42, undefined]) {
      const res = await reg({ ...a, handle });
      expect([res.status, res.json.error]).toEqual([400, ERR.invalidHandleRegister]);
    }
    // The handle check precedes the key checks: an invalid handle with bad keys is still "invalid handle".
    expect((await reg({ handle: 'A' })).json.error).toBe(ERR.invalidHandleRegister);
    // Reserved, before keys are even looked at.
    const reserved = await reg({ handle: 'admin' });
    expect([reserved.status, reserved.json.error]).toEqual([409, ERR.handleReserved]);
    expect((await reg({ handle: 'admin' }, { authorization: 'Bearer wrong' })).status).toBe(409);
    const adminBody = registerBody(fixedIdentity('admin'));
    expect((await reg(adminBody, { authorization: 'Bearer sekrit-token' })).status).toBe(201);

    const missingKeys = await reg({ ...a, box_pub: undefined });
    expect([missingKeys.status, missingKeys.json.error]).toEqual([400, ERR.keysRequired]);
    expect((await reg({ ...a, sign_pub: 7 })).json.error).toBe(ERR.keysRequired);
    const unpadded = await reg({ ...a, box_pub: a.box_pub.replace(/=$/, '') });
    expect([unpadded.status, unpadded.json.error]).toEqual([400, ERR.keysNotCanonical]);
    expect((await reg({ ...a, sign_pub: encodeBase64(new Uint8Array(31)) })).json.error).toBe(
      ERR.keysNotCanonical,
    );
  });

  it('checks the signature: required, form, skew, replay, validity', async () => {
    r = await startRelay();
    const alice = fixedIdentity('alice');
    const a = registerBody(alice);
    const required = await reg({ ...a, register_sig: undefined });
    expect([required.status, required.json.error]).toEqual([400, ERR.registerSigRequired]);
    expect((await reg({ ...a, register_ts: String(a.register_ts) })).json.error).toBe(
      ERR.registerSigRequired,
    );
    const form = await reg({ ...a, register_sig: a.register_sig.replace(/==$/, '') });
    expect([form.status, form.json.error]).toEqual([400, ERR.registerSigNotCanonical]);
    const old = registerBody(alice, Date.now() - LIMITS.sigMaxSkewMs - 5000);
    expect([(await reg(old)).status, (await reg(old)).json.error]).toEqual([400, ERR.registerSkew]);
    const other = fixedIdentity('mallory');
    const forged = {
      ...a,
      register_sig: signText(
        registerText('alice', a.register_ts, a.box_pub, a.sign_pub),
        other.signSecretKey,
      ),
    };
    const bad = await reg(forged);
    expect([bad.status, bad.json.error]).toEqual([401, ERR.registerSigBad]);
    expect((await reg(a)).status).toBe(201);
    // A used signature cannot register the handle again once it is gone (e.g. collected).
    r.relay.deps.identities.remove('alice');
    const used = await reg(a);
    expect([used.status, used.json.error]).toEqual([401, ERR.registerSigUsed]);
  });

  it('re-registration: the key owner with a fresh signature gets 201 and can rotate box_pub; anyone else gets 409', async () => {
    r = await startRelay();
    const alice = fixedIdentity('alice');
    const first = registerBody(alice);
    const created = await reg(first);
    expect(created.status).toBe(201);
    // Replaying the same (used) signature is not a fresh one.
    expect([(await reg(first)).status, (await reg(first)).json.error]).toEqual([409, ERR.handleTaken]);
    const thief = fixedIdentity('alice', 99);
    expect((await reg(registerBody(thief))).json.error).toBe(ERR.handleTaken);
    // Same sign key, new box key: accepted, original registered_at kept, box_pub rotated.
    const newBox = encodeBase64(new Uint8Array(32).fill(7));
    const ts = Date.now() + 1;
    const again = {
      handle: 'alice',
      box_pub: newBox,
      sign_pub: first.sign_pub,
      register_ts: ts,
      register_sig: signText(registerText('alice', ts, newBox, first.sign_pub), alice.signSecretKey),
    };
    const res = await reg(again);
    expect(res.status).toBe(201);
    expect(res.json.registered_at).toBe(created.json.registered_at);
    expect((await call('GET', `${r.url}/api/identity/alice`)).json.box_pub).toBe(newBox);
  });

  it('rate limits registration on its own bucket before anything else (429, Retry-After 5)', async () => {
    r = await startRelay({ limits: { rateBucketCapacity: 2, rateBucketRefillPerS: 0.001 } });
    expect((await reg({ handle: 'A' })).status).toBe(400);
    expect((await reg({ handle: 'A' })).status).toBe(400);
    const limited = await reg(registerBody(fixedIdentity('alice')));
    expect([limited.status, limited.json.error, limited.headers.get('retry-after')]).toEqual([
      429,
      ERR.rateLimited,
      '5',
    ]);
  });

  it('identity cap: 503 with Retry-After 3600, after collecting identities inactive for 180 days', async () => {
    const clock = new TestClock();
    r = await startRelay({ limits: { identitiesMax: 1 } }, clock);
    expect((await reg(registerBody(fixedIdentity('alice'), clock.now()))).status).toBe(201);
    const full = await reg(registerBody(fixedIdentity('bob'), clock.now()));
    expect([full.status, full.json.error, full.headers.get('retry-after')]).toEqual([
      503,
      ERR.identityCap,
      '3600',
    ]);
    clock.advance(LIMITS.identityGcInactiveMs + 1000);
    expect((await reg(registerBody(fixedIdentity('bob'), clock.now()))).status).toBe(201);
    expect((await call('GET', `${r.url}/api/identity/alice`)).status).toBe(404);
  });
});
