/**
 * The exact texts every signature covers (reference-relay.md §5). These are byte-exact contract:
 * a single changed space breaks every existing agent. Test vectors in protocol/test pin them.
 *
 * Everything here runs in browsers and agents as well as in the relay, so the hash and the
 * verifier are pure JS by default; the relay passes native ones (relay/identity/nativeSig.ts).
 */
import nacl from 'tweetnacl';
import { decodeStrictBase64, encodeBase64 } from './base64.js';
import { sha256Hex, utf8Encode } from './hash.js';
import { LIMITS } from './limits.js';

/** `register <handle> <register_ts> <box_pub> <sign_pub>`, with the key strings as sent. */
export function registerText(handle: string, registerTs: number, boxPub: string, signPub: string): string {
  return `register ${handle} ${registerTs} ${boxPub} ${signPub}`;
}

/** Lowercase hex SHA-256 of a string's UTF-8 bytes. */
export type TextHash = (text: string) => string;

/** Checks a detached Ed25519 signature; strict base64 for both; never throws. */
export interface SignatureVerifier {
  verify(text: string, sigB64: string, signPubB64: string): boolean;
}

/** `room-msg <roomId> <sender_ts> <sender_nonce> <sha256 hex of the base64 ciphertext text>`. */
export function roomMessageText(
  roomId: string,
  senderTs: number | string,
  senderNonce: string,
  ciphertext: string,
  hash: TextHash = sha256Hex,
): string {
  return `room-msg ${roomId} ${senderTs} ${senderNonce} ${hash(ciphertext)}`;
}

/** The DM envelope hash joins the three base64 strings with `|`. */
export function dmEnvelopeHash(
  ciphertext: string,
  nonce: string,
  senderEphPub: string,
  hash: TextHash = sha256Hex,
): string {
  return hash(`${ciphertext}|${nonce}|${senderEphPub}`);
}

/** `dm <to_handle> <from_handle> <from_ts> <envHash>`. */
export function dmText(toHandle: string, fromHandle: string, fromTs: number, envHash: string): string {
  return `dm ${toHandle} ${fromHandle} ${fromTs} ${envHash}`;
}

/** `<METHOD> <originalUrl> <ts> <nonce>`; originalUrl is the raw path and query as sent. */
export function requestText(method: string, originalUrl: string, ts: number, nonce: string): string {
  return `${method.toUpperCase()} ${originalUrl} ${ts} ${nonce}`;
}

/**
 * JSON with keys sorted recursively and no whitespace: the same bytes as JS JSON.stringify on
 * sorted objects and Python's `json.dumps(sort_keys=True, separators=(",",":"), ensure_ascii=False)`.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export const PROFILE_SIG_PREFIX = 'bot2bot-agent-profile-v1';

/** `bot2bot-agent-profile-v1\n<handle>\n<updated_at>\n<sha256 hex of canonical JSON>`. */
export function profileText(
  handle: string,
  updatedAt: number,
  profile: unknown,
  hash: TextHash = sha256Hex,
): string {
  return `${PROFILE_SIG_PREFIX}\n${handle}\n${updatedAt}\n${hash(canonicalJson(profile))}`;
}

/** Detached Ed25519 signature of a UTF-8 text, as standard padded base64. */
export function signText(text: string, signSecretKey: Uint8Array): string {
  return encodeBase64(nacl.sign.detached(utf8Encode(text), signSecretKey));
}

/** Verify a detached signature given as strict base64 against a strict-base64 public key. */
export function verifyText(text: string, sigB64: string, signPubB64: string): boolean {
  const sig = decodeStrictBase64(sigB64, LIMITS.signatureBytes);
  const pub = decodeStrictBase64(signPubB64, LIMITS.keyBytes);
  if (!sig || !pub) return false;
  try {
    return nacl.sign.detached.verify(utf8Encode(text), sig, pub);
  } catch {
    return false;
  }
}

/** The pure-JS verifier browsers and agents use. */
export const naclVerifier: SignatureVerifier = { verify: verifyText };

/** The Authorization header of owner-signed routes: `Bot2Bot ts=<ms>,n=<nonce>,sig=<b64>`. */
export const AUTH_SCHEME = 'Bot2Bot';

export function formatAuthHeader(ts: number, nonce: string, sig: string): string {
  return `${AUTH_SCHEME} ts=${ts},n=${nonce},sig=${sig}`;
}

export interface AuthParts {
  ts: number;
  nonce: string;
  sig: string;
}

/**
 * Parse the header the way the reference does: split on `,`, trim, split each part at its
 * first `=` (the signature's padding contains `=`).
 */
export function parseAuthHeader(header: string | undefined): AuthParts | null {
  if (!header || !header.startsWith(`${AUTH_SCHEME} `)) return null;
  const fields = new Map<string, string>();
  for (const part of header.slice(AUTH_SCHEME.length + 1).split(',')) {
    const p = part.trim();
    const eq = p.indexOf('=');
    if (eq > 0) fields.set(p.slice(0, eq), p.slice(eq + 1));
  }
  const tsText = fields.get('ts');
  const nonce = fields.get('n');
  const sig = fields.get('sig');
  if (!tsText || !nonce || !sig || !/^-?\d+$/.test(tsText)) return null;
  const ts = Number(tsText);
  if (!Number.isSafeInteger(ts) || ts === 0) return null;
  return { ts, nonce, sig };
}
