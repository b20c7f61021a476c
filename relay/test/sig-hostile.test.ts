/**
 * Hostile signature traffic: forgeries on every signed route are refused, one address that keeps
 * forging is cut off without slowing valid signers elsewhere, and a busy valid signer is never
 * refused for its volume. Client addresses come from X-Forwarded-For, trusted from loopback.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ERR,
  authorizationHeader,
  encodeBase64,
  roomMessageText,
  signRoomPost,
  type Identity,
} from '../../protocol/index.js';
import { WsClient, fakeSealed, postJson } from '../../test-support/clients.js';
import { TestClock, startRelay, type TestRelay } from '../../test-support/relay.js';
import { call, fixedIdentity, register, sealedDm, signDm } from './identity-helpers.js';

let r: TestRelay | null = null;
afterEach(async () => {
  await r?.close();
  r = null;
});

const from = (ip: string) => ({ 'x-forwarded-for': ip });
const forgedSig = () => encodeBase64(globalThis.crypto.getRandomValues(new Uint8Array(64)));

/** Signing with node:crypto keeps a thousand signed posts quick on the test side. */
function fastSigner(id: Identity): (text: string) => string {
  const der = Buffer.concat([
    Buffer.from('302e020100300506032b657004220420', 'hex'),
    Buffer.from(id.signSecretKey.slice(0, 32)),
  ]);
  const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return (text) => sign(null, Buffer.from(text, 'utf8'), key).toString('base64');
}

function validPost(id: Identity, roomId: string, now = Date.now()) {
  const sealed = fakeSealed();
  return { ...sealed, ...signRoomPost(id, roomId, sealed.ciphertext, now) };
}

function signedBody(
  id: Identity,
  roomId: string,
  signText: (t: string) => string,
  now: number,
  nonce: string,
) {
  const sealed = fakeSealed();
  const sig = signText(roomMessageText(roomId, now, nonce, sealed.ciphertext));
  return { ...sealed, sender_handle: id.handle, sender_ts: now, sender_nonce: nonce, sender_sig: sig };
}

describe('forged signatures', () => {
  it('are refused on every signed route: forged, truncated and wrong-key', async () => {
    r = await startRelay({ limits: { sigFailureBurst: 1000 } });
    const alice = fixedIdentity('alice-hostile', 21);
    const mallory = fixedIdentity('mallory-hostile', 23);
    expect((await register(r.url, alice)).status).toBe(201);
    expect((await register(r.url, mallory)).status).toBe(201);
    const room = `${r.url}/api/rooms/hostile01/messages`;
    const good = () => validPost(alice, 'hostile01');
    const base = good();
    const variants: Array<[string, Record<string, unknown>]> = [
      ['forged', { ...base, sender_sig: forgedSig() }],
      [
        'truncated',
        { ...base, sender_sig: encodeBase64(Buffer.from(base.sender_sig, 'base64').subarray(0, 63)) },
      ],
      [
        'wrong key',
        { ...base, ...signRoomPost(mallory, 'hostile01', base.ciphertext), sender_handle: alice.handle },
      ],
    ];
    for (const [what, body] of variants) {
      const res = await postJson(room, body);
      expect(res.status, what).toBe(401);
      expect(res.json, what).toEqual({ error: ERR.badSenderSig });
    }

    const ws = new WsClient(`${r.url.replace('http', 'ws')}/api/rooms/hostile01/ws`);
    await ws.opened;
    ws.send({ ...base, sender_sig: forgedSig() });
    expect(await ws.next((f) => f.type === 'error')).toMatchObject({ code: 401, error: ERR.badSenderSig });
    await ws.close();

    const env = sealedDm();
    const dm = await call('POST', `${r.url}/api/dm/${alice.handle}`, {
      ...signDm(alice, alice.handle, env),
      from_sig: signDm(mallory, alice.handle, env).from_sig,
    });
    expect(dm.status).toBe(401);
    expect(dm.json).toEqual({ error: ERR.dmFromSigBad });

    const path = '/api/rooms/hostile01/claim';
    const claim = await call(
      'POST',
      `${r.url}${path}`,
      { handle: alice.handle },
      { authorization: authorizationHeader(mallory, 'POST', path) },
    );
    expect(claim.status).toBe(401);
    expect(claim.json).toEqual({ error: ERR.badSignature });

    const reg = await call('POST', `${r.url}/api/identity/register`, {
      handle: 'forger-new',
      box_pub: encodeBase64(alice.boxPublicKey),
      sign_pub: encodeBase64(alice.signPublicKey),
      register_ts: Date.now(),
      register_sig: forgedSig(),
    });
    expect(reg.status).toBe(401);
    expect(reg.json).toEqual({ error: ERR.registerSigBad });

    expect((await postJson(room, good())).status).toBe(200);
  });

  it('a flood from one address ends in 429 with Retry-After while a valid signer elsewhere keeps posting', async () => {
    const clock = new TestClock();
    r = await startRelay(
      { trustProxy: 'loopback', limits: { sigFailureBurst: 30, sigFailureRefillPerS: 0.05 } },
      clock,
    );
    const alice = fixedIdentity('alice-bystander', 31);
    expect((await register(r.url, alice)).status).toBe(201);
    const room = `${r.url}/api/rooms/hostile02/messages`;
    const forger = from('203.0.113.9');
    const forged = () => ({ ...validPost(alice, 'hostile02', clock.now()), sender_sig: forgedSig() });

    const flood = Promise.all(Array.from({ length: 200 }, () => postJson(room, forged(), forger)));
    let slowest = 0;
    for (let i = 0; i < 40; i++) {
      const t0 = performance.now();
      const res = await postJson(room, validPost(alice, 'hostile02', clock.now()), from('198.51.100.20'));
      slowest = Math.max(slowest, performance.now() - t0);
      expect(res.status).toBe(200);
    }
    const answers = await flood;
    const refused = answers.filter((a) => a.status === 429);
    expect(answers.filter((a) => a.status === 401)).toHaveLength(30);
    expect(refused).toHaveLength(170);
    expect(refused[0]!.json).toEqual({ error: ERR.sigFailuresExhausted });
    expect(Number(refused[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(15);
    // The 401s are the only verifications the forger got. The latency bound is loose because
    // the test machine is shared; a relay that verified all 200 with tweetnacl needed 2–5 s.
    expect(slowest).toBeLessThan(5_000);

    // While the budget is spent, the address gets no verification at all, even a valid one.
    const valid = validPost(alice, 'hostile02', clock.now());
    expect((await postJson(room, valid, forger)).status).toBe(429);
    const ws = new WsClient(`${r.url.replace('http', 'ws')}/api/rooms/hostile02/ws`, { headers: forger });
    await ws.opened;
    ws.send(forged());
    expect(await ws.next((f) => f.type === 'error')).toMatchObject({
      code: 429,
      error: ERR.sigFailuresExhausted,
    });
    await ws.close();

    clock.advance(20_000);
    const again = validPost(alice, 'hostile02', clock.now());
    expect((await postJson(room, again, forger)).status).toBe(200);
    // The budget keeps one entry per address that failed, and forgets refilled ones.
    expect(r.relay.deps.identities.sigFailures.size).toBe(1);
    clock.advance(600_000);
    r.relay.deps.identities.sweep(clock.now());
    expect(r.relay.deps.identities.sigFailures.size).toBe(0);
  });
});

describe('the nonce cache', () => {
  it('accepts 1,000 quick signed posts from one handle and still refuses a replay', async () => {
    r = await startRelay({ limits: { rateBucketCapacity: 2_000, globalBucketCapacity: 2_000 } });
    const bot = fixedIdentity('busy-bot', 41);
    expect((await register(r.url, bot)).status).toBe(201);
    const signText = fastSigner(bot);
    const room = `${r.url}/api/rooms/hostile03/messages`;
    const bodies = Array.from({ length: 1_000 }, (_, i) =>
      signedBody(bot, 'hostile03', signText, Date.now(), `nonce-${i}-${'x'.repeat(16)}`),
    );
    for (let i = 0; i < bodies.length; i += 50) {
      const batch = await Promise.all(bodies.slice(i, i + 50).map((b) => postJson(room, b)));
      for (const res of batch) expect(res.status).toBe(200);
    }
    for (const b of [bodies[0]!, bodies[500]!, bodies[999]!]) {
      const replay = await postJson(room, b);
      expect(replay.status).toBe(401);
      expect(replay.json).toEqual({ error: ERR.badSenderSig });
    }
  });

  it('under a small memory cap evicts oldest first and an evicted nonce still cannot be replayed', async () => {
    r = await startRelay({ limits: { nonceCacheMaxEntries: 100 } });
    const bot = fixedIdentity('capped-bot', 43);
    expect((await register(r.url, bot)).status).toBe(201);
    const signText = fastSigner(bot);
    const room = `${r.url}/api/rooms/hostile04/messages`;
    const t0 = Date.now();
    const bodies = Array.from({ length: 300 }, (_, i) =>
      signedBody(bot, 'hostile04', signText, t0 + i, `nonce-${i}-${'y'.repeat(16)}`),
    );
    for (const b of bodies) expect((await postJson(room, b)).status).toBe(200);
    const nonces = (r.relay.deps.identities as unknown as { nonces: { size: number; evicted: number } })
      .nonces;
    expect(nonces.size).toBeLessThanOrEqual(100);
    expect(nonces.evicted).toBeGreaterThanOrEqual(200);
    expect((await postJson(room, bodies[0]!)).status).toBe(401);
    expect((await postJson(room, bodies[299]!)).status).toBe(401);
    expect(
      (await postJson(room, signedBody(bot, 'hostile04', signText, t0 + 300, `nonce-new-${'z'.repeat(16)}`)))
        .status,
    ).toBe(200);
  });
});
