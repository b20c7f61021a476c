/**
 * Fixed test vectors for every signed text. The expected signatures were computed independently
 * with PyNaCl (the SDK's library) from the same seed, so these pin the byte-exact texts, the
 * hashes and the encoding, not merely agreement of our code with itself.
 */
import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';
import {
  canonicalJson, dmEnvelopeHash, dmText, encodeBase64, formatAuthHeader, profileText, registerText, requestText, roomMessageText, sha256Hex,
  signText, verifyText,
} from '../../protocol/index.js';
import { TestClock, startRelay, type TestRelay } from '../../test-support/relay.js';
import { call } from './identity-helpers.js';

const seed = Uint8Array.from({ length: 32 }, (_, i) => i);
const kp = nacl.sign.keyPair.fromSeed(seed);
const SIGN_PUB = 'A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=';
const BOX_PUB = 'V9tLNZ8jrl4Ubk4lEgVnBHIlBjSMFQwUdT0Mkz0E1CE=';

const VECTORS = {
  register: {
    text: registerText('alice', 1700000000000, BOX_PUB, SIGN_PUB),
    expectText: `register alice 1700000000000 ${BOX_PUB} ${SIGN_PUB}`,
    sig: 'VjsuLQR4FB4RHZJPc+HyIq3exJJEsFT7n3QWXu+qQP8MkQ3X63nQ5WYwRY9KqJdWEiikSlLBWrWjVNo4wptiBw==',
  },
  roomPost: {
    text: roomMessageText('AB12cd', 1700000000123, 'bm9uY2Vub25jZW5vbmNl', 'c2VhbGVkIGJ5dGVz'),
    expectText: 'room-msg AB12cd 1700000000123 bm9uY2Vub25jZW5vbmNl c368ca003ef13d5e618a9f63f774d97a4644308307cd75c8e654adab1f865cb1',
    sig: 'V5bO8q7wvHKZASujio4poP5F2tkLc00/Mgl0VSRIXlytnQ8UarNGlizLDepsPoIlu8mLPtW0grimZHmyrR+PAw==',
  },
  dm: {
    text: dmText('bob', 'alice', 1700000000456, dmEnvelopeHash('Y2lwaGVy', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', BOX_PUB)),
    expectText: 'dm bob alice 1700000000456 ac9c66f96fe39ea52a5a114dd4c0cf7c175d51e1b245ba488b82fa7951c5c4b4',
    sig: 'GzcLzWSRfBc4qibvnY/k14Hx3pi4RzGEzpIxqvtfAIoSmyMGNSWQ2xA+SswqPq+siVzNTUqL+ZZfBqTDGXTzCg==',
  },
  request: {
    text: requestText('GET', '/api/dm/alice/inbox/wait?after=0&timeout=30', 1700000000789, 'abcdefghijklmnopqrstuvwx'),
    expectText: 'GET /api/dm/alice/inbox/wait?after=0&timeout=30 1700000000789 abcdefghijklmnopqrstuvwx',
    sig: 'Z1Q11hXowAVouA9MNnxu4Bl33QPcoMP5ic1fxM0kOm/XedTi5qxyAqjU+4QP3HRGw1IPO0C9UWnyLqCt1GdGBA==',
  },
  profile: {
    text: profileText('alice', 1700000000000, { schema: 'bot2bot.agent_profile.v1', handle: 'alice', topics: ['b', 'a'], summary: 'héllo' }),
    expectText: 'bot2bot-agent-profile-v1\nalice\n1700000000000\ne82568d0c404d57274baab0a654268583d4e9f7c6d00b17ebe06104d27f69efd',
    sig: 'bTGdfOhYPPaRq6w0CwizZr5E/O8xW8Badgc0ccJ+LTsSfiinUeWbe3kuzV9U80nnk+WGhNw2K5EF0gSe+j4sDg==',
  },
};

describe('signed-text vectors', () => {
  it('derives the pinned public keys from the fixed seeds', () => {
    expect(encodeBase64(kp.publicKey)).toBe(SIGN_PUB);
    expect(encodeBase64(nacl.box.keyPair.fromSecretKey(new Uint8Array(32).fill(9)).publicKey)).toBe(BOX_PUB);
  });

  for (const [name, v] of Object.entries(VECTORS)) {
    it(`${name}: exact text and signature`, () => {
      expect(v.text).toBe(v.expectText);
      expect(signText(v.text, kp.secretKey)).toBe(v.sig);
      expect(verifyText(v.text, v.sig, SIGN_PUB)).toBe(true);
      expect(verifyText(`${v.text} `, v.sig, SIGN_PUB)).toBe(false);
    });
  }

  it('canonical JSON sorts keys recursively, no whitespace, non-ASCII as is (Python sort_keys/ensure_ascii=False)', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 'é', c: null }] })).toBe('{"a":[{"c":null,"d":"é"}],"b":1}');
    expect(sha256Hex('c2VhbGVkIGJ5dGVz')).toBe('c368ca003ef13d5e618a9f63f774d97a4644308307cd75c8e654adab1f865cb1');
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
      handle: 'alice', box_pub: BOX_PUB, sign_pub: SIGN_PUB, register_ts: 1700000000000, register_sig: VECTORS.register.sig,
    });
    expect(reg.status).toBe(201);
    const dm = await call('POST', `${r.url}/api/dm/alice`, { ciphertext: 'Y2lwaGVy', nonce: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', sender_eph_pub: BOX_PUB });
    expect(dm.status).toBe(200);
    const wait = await call('GET', `${r.url}/api/dm/alice/inbox/wait?after=0&timeout=30`, undefined, {
      authorization: formatAuthHeader(1700000000789, 'abcdefghijklmnopqrstuvwx', VECTORS.request.sig),
    });
    expect(wait.json.messages.map((m: { id: string }) => m.id)).toEqual([dm.json.id]);
    expect(wait.status).toBe(200);
  });
});
