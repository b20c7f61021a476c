/**
 * Fixed test vectors for every signed text. The expected signatures were computed independently
 * with PyNaCl (the SDK's library) from the same seed, so these pin the byte-exact texts, the
 * hashes and the encoding, not merely agreement of our code with itself.
 */
import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';
import {
  canonicalJson,
  dmEnvelopeHash,
  dmText,
  encodeBase64,
  formatAuthHeader,
  profileText,
  registerText,
  requestText,
  roomMessageText,
  sha256Hex,
  signText,
  verifyText,
} from '../../protocol/index.js';
import { TestClock, startRelay, type TestRelay } from '../../test-support/relay.js';
import { NativeVerifier, sha256HexNative } from '../identity/nativeSig.js';
import { call } from './identity-helpers.js';

import {
  PYNACL_BOX_PUB as BOX_PUB,
  PYNACL_BOX_SK,
  PYNACL_SEED,
  PYNACL_SIGN_PUB as SIGN_PUB,
  PYNACL_VECTORS as V,
} from '../../protocol/test/vectors.js';

// The shared vector set (protocol/test/vectors.ts); the web tests check the browser against it too.
const kp = nacl.sign.keyPair.fromSeed(PYNACL_SEED);

const VECTORS = {
  register: {
    text: registerText(V.register.handle, V.register.ts, BOX_PUB, SIGN_PUB),
    expectText: V.register.expectText,
    sig: V.register.sig,
  },
  roomPost: {
    text: roomMessageText(V.roomPost.roomId, V.roomPost.ts, V.roomPost.nonce, V.roomPost.ciphertext),
    expectText: V.roomPost.expectText,
    sig: V.roomPost.sig,
  },
  dm: {
    text: dmText(V.dm.to, V.dm.from, V.dm.ts, dmEnvelopeHash(V.dm.ciphertext, V.dm.nonce, V.dm.senderEphPub)),
    expectText: V.dm.expectText,
    sig: V.dm.sig,
  },
  request: {
    text: requestText(V.request.method, V.request.path, V.request.ts, V.request.nonce),
    expectText: V.request.expectText,
    sig: V.request.sig,
  },
  profile: {
    text: profileText(V.profile.handle, V.profile.updatedAt, V.profile.profile),
    expectText: V.profile.expectText,
    sig: V.profile.sig,
  },
};

describe('signed-text vectors', () => {
  it('derives the pinned public keys from the fixed seeds', () => {
    expect(encodeBase64(kp.publicKey)).toBe(SIGN_PUB);
    expect(encodeBase64(nacl.box.keyPair.fromSecretKey(PYNACL_BOX_SK).publicKey)).toBe(BOX_PUB);
  });

  for (const [name, v] of Object.entries(VECTORS)) {
    it(`${name}: exact text and signature`, () => {
      expect(v.text).toBe(v.expectText);
      expect(signText(v.text, kp.secretKey)).toBe(v.sig);
      expect(verifyText(v.text, v.sig, SIGN_PUB)).toBe(true);
      expect(verifyText(`${v.text} `, v.sig, SIGN_PUB)).toBe(false);
    });
  }

  it("the relay's native hash builds the same texts and its native verifier gives the same verdicts", () => {
    const native = new NativeVerifier();
    const h = sha256HexNative;
    expect(
      roomMessageText(V.roomPost.roomId, V.roomPost.ts, V.roomPost.nonce, V.roomPost.ciphertext, h),
    ).toBe(V.roomPost.expectText);
    expect(
      dmText(V.dm.to, V.dm.from, V.dm.ts, dmEnvelopeHash(V.dm.ciphertext, V.dm.nonce, V.dm.senderEphPub, h)),
    ).toBe(V.dm.expectText);
    expect(profileText(V.profile.handle, V.profile.updatedAt, V.profile.profile, h)).toBe(
      V.profile.expectText,
    );
    for (const [name, v] of Object.entries(VECTORS)) {
      expect(native.verify(v.text, v.sig, SIGN_PUB), name).toBe(true);
      expect(native.verify(`${v.text} `, v.sig, SIGN_PUB), name).toBe(false);
      expect(native.verifyUncached(v.text, v.sig, SIGN_PUB), name).toBe(true);
    }
  });

  it('canonical JSON sorts keys recursively, no whitespace, non-ASCII as is (Python sort_keys/ensure_ascii=False)', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 'é', c: null }] })).toBe('{"a":[{"c":null,"d":"é"}],"b":1}');
    expect(sha256Hex('c2VhbGVkIGJ5dGVz')).toBe(
      'c368ca003ef13d5e618a9f63f774d97a4644308307cd75c8e654adab1f865cb1',
    );
  });
});

describe('the relay accepts the pinned vectors on the wire', () => {
  let r: TestRelay | null = null;
  afterEach(async () => {
    await r?.close();
    r = null;
  });

  it('registers with the pinned register signature and reads the inbox with the pinned request signature', async () => {
    const clock = new TestClock();
    clock.advance(1700000000500 - Date.now());
    r = await startRelay({}, clock);
    const reg = await call('POST', `${r.url}/api/identity/register`, {
      handle: 'alice',
      box_pub: BOX_PUB,
      sign_pub: SIGN_PUB,
      register_ts: 1700000000000,
      register_sig: VECTORS.register.sig,
    });
    expect(reg.status).toBe(201);
    const dm = await call('POST', `${r.url}/api/dm/alice`, {
      ciphertext: 'Y2lwaGVy',
      nonce: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      sender_eph_pub: BOX_PUB,
    });
    expect(dm.status).toBe(200);
    const wait = await call('GET', `${r.url}/api/dm/alice/inbox/wait?after=0&timeout=30`, undefined, {
      authorization: formatAuthHeader(1700000000789, 'abcdefghijklmnopqrstuvwx', VECTORS.request.sig),
    });
    expect(wait.json.messages.map((m: { id: string }) => m.id)).toEqual([dm.json.id]);
    expect(wait.status).toBe(200);
  });
});
