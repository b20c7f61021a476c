/**
 * Ed25519 and SHA-256 through node:crypto for the relay: the pure-JS verifier the browser and
 * agents use costs milliseconds per check, this one tens of microseconds. Verdicts are the same
 * as tweetnacl's (relay/test/nativeSig.test.ts compares them on edge cases).
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import {
  LIMITS,
  isStrictBase64Of,
  verifyText,
  type SignatureVerifier,
  type TextHash,
} from '../../protocol/index.js';

export const sha256HexNative: TextHash = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The order of the Ed25519 base point. */
const L = (1n << 252n) + 27742317777372353535851937790883648493n;

/**
 * tweetnacl accepts a signature whose scalar S is not reduced (S ≥ L), since [S]B = [S mod L]B;
 * OpenSSL refuses it. Reducing S first gives tweetnacl's verdict. Only crafted signatures have
 * S ≥ L, and an S below 2^252 (top byte under 0x10) never needs the BigInt.
 */
function reduceScalar(sig: Buffer): Buffer {
  if (sig[63]! < 0x10) return sig;
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
  if (s < L) return sig;
  s %= L;
  const out = Buffer.from(sig);
  for (let i = 32; i < 64; i++) {
    out[i] = Number(s & 0xffn);
    s >>= 8n;
  }
  return out;
}

export class NativeVerifier implements SignatureVerifier {
  /** Parsed keys by their base64 text, least recently used first. `null`: OpenSSL refused the key. */
  private readonly keys = new Map<string, KeyObject | null>();

  constructor(private readonly maxKeys: number = LIMITS.identitiesMax) {}

  get cachedKeys(): number {
    return this.keys.size;
  }

  verify(text: string, sigB64: string, signPubB64: string): boolean {
    return this.check(text, sigB64, signPubB64, true);
  }

  /** For a key that belongs to no identity yet (registration): parsed, used, not cached. */
  verifyUncached(text: string, sigB64: string, signPubB64: string): boolean {
    return this.check(text, sigB64, signPubB64, false);
  }

  private check(text: string, sigB64: string, signPubB64: string, cache: boolean): boolean {
    if (!isStrictBase64Of(sigB64, LIMITS.signatureBytes) || !isStrictBase64Of(signPubB64, LIMITS.keyBytes))
      return false;
    const key = cache ? this.key(signPubB64) : parseKey(signPubB64);
    // A key OpenSSL will not import is judged the way browsers and agents judge it.
    if (key === null) return verifyText(text, sigB64, signPubB64);
    try {
      return verify(null, Buffer.from(text, 'utf8'), key, reduceScalar(Buffer.from(sigB64, 'base64')));
    } catch {
      return false;
    }
  }

  private key(pubB64: string): KeyObject | null {
    const hit = this.keys.get(pubB64);
    if (hit !== undefined) {
      this.keys.delete(pubB64);
      this.keys.set(pubB64, hit);
      return hit;
    }
    const key = parseKey(pubB64);
    if (this.keys.size >= this.maxKeys) {
      const oldest = this.keys.keys().next();
      if (!oldest.done) this.keys.delete(oldest.value);
    }
    if (this.maxKeys > 0) this.keys.set(pubB64, key);
    return key;
  }
}

function parseKey(pubB64: string): KeyObject | null {
  try {
    return createPublicKey({
      key: Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(pubB64, 'base64')]),
      format: 'der',
      type: 'spki',
    });
  } catch {
    return null;
  }
}
