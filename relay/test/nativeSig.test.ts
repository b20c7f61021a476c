/**
 * The relay's native Ed25519 and SHA-256 give the same answers as the pure-JS ones browsers and
 * agents use, including on inputs no honest client produces.
 */
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { encodeBase64, sha256Hex, signText, verifyText } from '../../protocol/index.js';
import { NativeVerifier, sha256HexNative } from '../identity/nativeSig.js';
import { NonceCache } from '../identity/nonceCache.js';

const kp = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(7));
const other = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(8));
const PUB = encodeBase64(kp.publicKey);
const TEXT = 'room-msg abcdefgh 1700000000000 nonce-0123456789abcdef 00ff';
const SIG = signText(TEXT, kp.secretKey);
const sigBytes = () => Uint8Array.from(Buffer.from(SIG, 'base64'));

/** The base point's order; S + L verifies for tweetnacl wherever S does. */
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
function withScalar(sig: Uint8Array, add: bigint): Uint8Array {
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
  s += add;
  const out = Uint8Array.from(sig);
  for (let i = 32; i < 64; i++) {
    out[i] = Number(s & 0xffn);
    s >>= 8n;
  }
  return out;
}

/** Keys with no proper Ed25519 point behind them: small order, non-canonical, off the curve. */
const ODD_KEYS = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '0000000000000000000000000000000000000000000000000000000000000000',
  'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
].map((h) => Buffer.from(h, 'hex').toString('base64'));

describe('native Ed25519 verification', () => {
  const native = new NativeVerifier(4);

  it('accepts a valid signature and refuses a forged, truncated, extended or wrong-key one', () => {
    expect(native.verify(TEXT, SIG, PUB)).toBe(true);
    const forged = encodeBase64(nacl.randomBytes(64));
    const truncated = encodeBase64(sigBytes().slice(0, 63));
    const extended = encodeBase64(Uint8Array.from([...sigBytes(), 0]));
    const wrongKey = signText(TEXT, other.secretKey);
    for (const [what, sig] of [
      ['forged', forged],
      ['truncated', truncated],
      ['extended', extended],
      ['wrong key', wrongKey],
    ] as const) {
      expect(native.verify(TEXT, sig, PUB), what).toBe(false);
      expect(verifyText(TEXT, sig, PUB), what).toBe(false);
    }
    expect(native.verify(`${TEXT} `, SIG, PUB)).toBe(false);
    expect(native.verify(TEXT, SIG, encodeBase64(other.publicKey))).toBe(false);
    expect(native.verify(TEXT, SIG, 'not base64')).toBe(false);
    for (const loose of [SIG.slice(0, -2), ` ${SIG}`, `${SIG.slice(0, -3)}B==`]) {
      expect(native.verify(TEXT, loose, PUB), loose).toBe(false);
      expect(verifyText(TEXT, loose, PUB), loose).toBe(false);
    }
    // The wire allows either base64 alphabet, and so do both verifiers.
    const urlSafe = SIG.replace(/\+/g, '-').replace(/\//g, '_');
    expect(native.verify(TEXT, urlSafe, PUB)).toBe(verifyText(TEXT, urlSafe, PUB));
  });

  it('gives tweetnacl’s verdict for every single-bit change of the signature and the key', () => {
    const sig = sigBytes();
    for (let bit = 0; bit < 512; bit++) {
      const s = Uint8Array.from(sig);
      s[bit >> 3]! ^= 1 << (bit & 7);
      const b64 = encodeBase64(s);
      expect(native.verify(TEXT, b64, PUB), `sig bit ${bit}`).toBe(verifyText(TEXT, b64, PUB));
    }
    for (let bit = 0; bit < 256; bit++) {
      const k = Uint8Array.from(kp.publicKey);
      k[bit >> 3]! ^= 1 << (bit & 7);
      const b64 = encodeBase64(k);
      expect(native.verify(TEXT, SIG, b64), `key bit ${bit}`).toBe(verifyText(TEXT, SIG, b64));
    }
  });

  it('accepts an unreduced scalar (S + L) exactly when tweetnacl does', () => {
    for (const k of [1n, 2n, 15n]) {
      const malleated = encodeBase64(withScalar(sigBytes(), k * L));
      if (verifyText(TEXT, malleated, PUB)) expect(native.verify(TEXT, malleated, PUB)).toBe(true);
      else expect(native.verify(TEXT, malleated, PUB)).toBe(false);
    }
    expect(verifyText(TEXT, encodeBase64(withScalar(sigBytes(), L)), PUB)).toBe(true);
    expect(native.verify(TEXT, encodeBase64(withScalar(sigBytes(), L)), PUB)).toBe(true);
  });

  it('agrees with tweetnacl on small-order, non-canonical and off-curve keys', () => {
    const identityR = new Uint8Array(64);
    identityR[0] = 1;
    for (const key of ODD_KEYS) {
      const raw = Buffer.from(key, 'base64');
      for (const sig of [
        identityR,
        Uint8Array.from([...raw, ...new Uint8Array(32)]),
        sigBytes(),
        nacl.randomBytes(64),
      ]) {
        const b64 = encodeBase64(sig);
        expect(native.verify(TEXT, b64, key), key).toBe(verifyText(TEXT, b64, key));
        expect(native.verifyUncached(TEXT, b64, key), key).toBe(verifyText(TEXT, b64, key));
      }
    }
  });

  it('keeps at most its configured number of parsed keys', () => {
    const v = new NativeVerifier(3);
    for (let i = 0; i < 10; i++) {
      const k = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(40 + i));
      expect(v.verify(TEXT, signText(TEXT, k.secretKey), encodeBase64(k.publicKey))).toBe(true);
      expect(v.cachedKeys).toBeLessThanOrEqual(3);
    }
    expect(v.verifyUncached(TEXT, SIG, PUB)).toBe(true);
    expect(v.cachedKeys).toBe(3);
  });
});

describe('native SHA-256', () => {
  it('hashes the UTF-8 bytes exactly as the isomorphic hash does', () => {
    for (const s of [
      '',
      'c2VhbGVkIGJ5dGVz',
      'é ü 漢字 🙂',
      'lone \ud800 surrogate \udc00',
      'x'.repeat(200_000),
    ]) {
      expect(sha256HexNative(s)).toBe(sha256Hex(s));
    }
  });
});

describe('nonce cache', () => {
  it('refuses a replay for the whole window and forgets it after', () => {
    const c = new NonceCache(10, 120_000);
    expect(c.record('room:a', 'n1', 1_000, 1_000)).toBe('ok');
    expect(c.record('room:a', 'n1', 1_000, 100_000)).toBe('seen');
    expect(c.record('room:b', 'n1', 1_000, 1_000)).toBe('ok');
    expect(c.record('room:a', 'n1', 1_000, 121_001)).toBe('ok');
  });

  it('has no per-key count, evicts oldest first at the cap, and never lets an evicted nonce back in', () => {
    const c = new NonceCache(100, 120_000);
    for (let i = 0; i < 1_000; i++) expect(c.record('room:busy', `n${i}`, 10_000 + i, 10_000 + i)).toBe('ok');
    expect(c.size).toBe(100);
    expect(c.evicted).toBe(900);
    // n0 was evicted; its replay carries its old timestamp, which is now below the key's floor.
    expect(c.use('room:busy', 'n0', 10_000, 11_000)).toBe(false);
    expect(c.record('room:busy', 'n999', 10_999, 11_000)).toBe('seen');
    expect(c.record('room:busy', 'fresh', 11_000, 11_000)).toBe('ok');
    // Another key is not held back by this one's evictions.
    expect(c.record('room:other', 'n0', 10_000, 11_000)).toBe('ok');
    c.sweep(10_000 + 1_000 + 120_000);
    expect(c.size).toBe(0);
  });
});
