/**
 * Client-side crypto of the wire (reference-client.md §2.1): NaCl secretbox for room messages,
 * NaCl box for DMs and adopt offers. The relay never imports this file; it never holds a key.
 */
import nacl from 'tweetnacl';
import { decodeBase64Loose, encodeBase64 } from './base64.js';
import { sha256HexBytes, utf8Decode, utf8Encode } from './hash.js';
import { LIMITS } from './limits.js';
import { randomBytes } from './ids.js';

export interface Sealed {
  ciphertext: string;
  nonce: string;
}

/** Seal UTF-8 text with the room key; both fields as standard padded base64. */
export function sealText(text: string, key: Uint8Array): Sealed {
  const nonce = randomBytes(LIMITS.nonceBytes);
  return {
    ciphertext: encodeBase64(nacl.secretbox(utf8Encode(text), nonce, key)),
    nonce: encodeBase64(nonce),
  };
}

/**
 * Open a room message. Accepts either base64 alphabet and missing padding, since the relay
 * accepts both. A failure is a value (null), not an exception: undecryptable messages are data.
 */
export function openText(sealed: Sealed, key: Uint8Array): string | null {
  const ct = decodeBase64Loose(sealed.ciphertext);
  const nonce = decodeBase64Loose(sealed.nonce);
  if (!ct || !nonce || nonce.length !== LIMITS.nonceBytes) return null;
  const plain = nacl.secretbox.open(ct, nonce, key);
  if (!plain) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    return null;
  }
}

export function newRoomKey(): Uint8Array {
  return randomBytes(LIMITS.keyBytes);
}

export interface BoxKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export function newBoxKeyPair(): BoxKeyPair {
  return nacl.box.keyPair();
}

export function boxKeyPairFromSecret(secretKey: Uint8Array): BoxKeyPair {
  return nacl.box.keyPair.fromSecretKey(secretKey);
}

/** nacl.box with a fresh nonce; returns raw bytes so callers pick the encoding the wire wants. */
export function boxSeal(
  plain: Uint8Array,
  theirPub: Uint8Array,
  mySecret: Uint8Array,
): { box: Uint8Array; nonce: Uint8Array } {
  const nonce = randomBytes(LIMITS.nonceBytes);
  return { box: nacl.box(plain, nonce, theirPub, mySecret), nonce };
}

export function boxOpen(
  box: Uint8Array,
  nonce: Uint8Array,
  theirPub: Uint8Array,
  mySecret: Uint8Array,
): Uint8Array | null {
  if (nonce.length !== LIMITS.nonceBytes || theirPub.length !== 32) return null;
  return nacl.box.open(box, nonce, theirPub, mySecret);
}

/**
 * A DM sealed to a recipient's box key with a fresh ephemeral key (reference-relay.md §5.5).
 */
export function sealDm(
  text: string,
  recipientBoxPub: Uint8Array,
): { ciphertext: string; nonce: string; sender_eph_pub: string } {
  const eph = newBoxKeyPair();
  const { box, nonce } = boxSeal(utf8Encode(text), recipientBoxPub, eph.secretKey);
  return {
    ciphertext: encodeBase64(box),
    nonce: encodeBase64(nonce),
    sender_eph_pub: encodeBase64(eph.publicKey),
  };
}

export function openDm(
  dm: { ciphertext: string; nonce: string; sender_eph_pub: string },
  myBoxSecret: Uint8Array,
): string | null {
  const ct = decodeBase64Loose(dm.ciphertext);
  const nonce = decodeBase64Loose(dm.nonce);
  const eph = decodeBase64Loose(dm.sender_eph_pub);
  if (!ct || !nonce || !eph) return null;
  const plain = boxOpen(ct, nonce, eph, myBoxSecret);
  return plain ? utf8Decode(plain) : null;
}

/**
 * The key fingerprint users compare out of band (reference-client.md §1.4): the first 16 hex
 * characters of SHA-256 over the raw key, uppercased, in four groups of four.
 */
export function keyFingerprint(key: Uint8Array): string {
  const hex = sha256HexBytes(key).slice(0, 16).toUpperCase();
  return hex.match(/.{4}/g)!.join(' ');
}
