/**
 * Base64 rules of the wire (reference-relay.md §0).
 *
 * - "Strict canonical" (every crypto-bearing field the relay checks): either alphabet or a mix,
 *   padding required, and the text must be exactly what re-encoding the bytes would give.
 * - "Lax" (presence `box_pub` only): 40–64 characters that decode to 32 bytes; unpadded
 *   base64url is fine, because the SDK and MCP send it that way.
 * - Clients send standard padded base64 for ciphertext and nonce, unpadded base64url for the
 *   room key and adopt secrets, and accept any of these on receive.
 *
 * Uses only btoa/atob so the module runs unchanged in browsers and Node.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const STRICT_SHAPE = /^[A-Za-z0-9+/_-]*={0,2}$/;
const LOOSE_SHAPE = /^[A-Za-z0-9+/_-]*={0,2}$/;

function sextet(code: number): number {
  // A–Z, a–z, 0–9, then + or -, / or _ (both alphabets map to the same value).
  if (code >= 65 && code <= 90) return code - 65;
  if (code >= 97 && code <= 122) return code - 71;
  if (code >= 48 && code <= 57) return code + 4;
  if (code === 43 || code === 45) return 62;
  if (code === 47 || code === 95) return 63;
  return -1;
}

/**
 * The decoded length of a strict canonical base64 string, or null if it is not one.
 * Checks without allocating, because the relay runs it on every post.
 */
export function strictBase64Length(text: string): number | null {
  const len = text.length;
  if (len === 0 || len % 4 !== 0 || !STRICT_SHAPE.test(text)) return null;
  let pad = 0;
  if (text.charCodeAt(len - 1) === 61) pad = text.charCodeAt(len - 2) === 61 ? 2 : 1;
  if (pad > 0) {
    // The unused low bits of the last data character must be zero, or the text would not
    // survive a decode/encode round trip.
    const last = sextet(text.charCodeAt(len - 1 - pad));
    if (last < 0) return null;
    if (pad === 2 && (last & 0x0f) !== 0) return null;
    if (pad === 1 && (last & 0x03) !== 0) return null;
  }
  return (len / 4) * 3 - pad;
}

/** True if `text` is strict canonical base64 of exactly `bytes` bytes. */
export function isStrictBase64Of(text: unknown, bytes: number): text is string {
  return typeof text === 'string' && strictBase64Length(text) === bytes;
}

/** Decode a strict canonical value, or null. */
export function decodeStrictBase64(text: string, bytes?: number): Uint8Array | null {
  const n = strictBase64Length(text);
  if (n === null || (bytes !== undefined && n !== bytes)) return null;
  return decodeBase64Loose(text);
}

/**
 * Decode either alphabet, with or without padding. Returns null on anything else. Clients use
 * this on receive so that a peer sending URL-safe or unpadded text stays readable.
 */
export function decodeBase64Loose(text: string): Uint8Array | null {
  if (!LOOSE_SHAPE.test(text)) return null;
  let std = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (std.length % 4 === 1) return null;
  std += '='.repeat((4 - (std.length % 4)) % 4);
  try {
    const bin = atob(std);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** Presence `box_pub`: 40–64 characters that decode (either alphabet) to 32 bytes. */
export function isLaxBoxPub(text: unknown): text is string {
  if (typeof text !== 'string' || text.length < 40 || text.length > 64) return false;
  const bytes = decodeBase64Loose(text);
  return bytes !== null && bytes.length === 32;
}

const CHUNK = 0x8000;

/** Standard alphabet, padded: what every client sends for ciphertext, nonce, keys and sigs. */
export function encodeBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += CHUNK) {
    bin += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  }
  return btoa(bin);
}

/** URL-safe alphabet, unpadded: room keys in `#k=`, presence keys, adopt secrets. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encodeBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export const BASE64_ALPHABET = ALPHABET;
