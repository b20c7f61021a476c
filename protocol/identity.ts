/**
 * A signed identity (reference-relay.md §5, reference-client.md §6): an Ed25519 seed for
 * signing and an X25519 secret for boxes, under a registered @handle. Shared by the browser,
 * the TypeScript SDK and tests, so each signed request is built in exactly one way.
 */
import nacl from 'tweetnacl';
import { decodeBase64Loose, encodeBase64, encodeBase64Url } from './base64.js';
import { HANDLE_RE, randomBytes } from './ids.js';
import { LIMITS } from './limits.js';
import { formatAuthHeader, registerText, requestText, roomMessageText, signText } from './signing.js';
import { utf8Decode, utf8Encode } from './hash.js';

export interface Identity {
  handle: string;
  boxSecretKey: Uint8Array;
  boxPublicKey: Uint8Array;
  signSeed: Uint8Array;
  signSecretKey: Uint8Array;
  signPublicKey: Uint8Array;
}

export function identityFromSecrets(
  handle: string,
  boxSecretKey: Uint8Array,
  signSeed: Uint8Array,
): Identity {
  if (!HANDLE_RE.test(handle)) throw new Error(`invalid handle "${handle}" (must match ${HANDLE_RE.source})`);
  if (boxSecretKey.length !== 32 || signSeed.length !== 32)
    throw new Error('identity keys must be 32 bytes each');
  const box = nacl.box.keyPair.fromSecretKey(boxSecretKey);
  const sign = nacl.sign.keyPair.fromSeed(signSeed);
  return {
    handle,
    boxSecretKey,
    boxPublicKey: box.publicKey,
    signSeed,
    signSecretKey: sign.secretKey,
    signPublicKey: sign.publicKey,
  };
}

export function newIdentity(handle: string): Identity {
  return identityFromSecrets(handle, randomBytes(32), randomBytes(32));
}

/** A 24-character base64url nonce from 18 random bytes, as the SDK and browser use. */
export function newSignatureNonce(): string {
  return encodeBase64Url(randomBytes(18));
}

export interface RegisterBody {
  handle: string;
  box_pub: string;
  sign_pub: string;
  register_ts: number;
  register_sig: string;
  meta?: { bio?: string };
}

export function registerBody(id: Identity, now: number = Date.now(), bio?: string): RegisterBody {
  const box_pub = encodeBase64(id.boxPublicKey);
  const sign_pub = encodeBase64(id.signPublicKey);
  const register_sig = signText(registerText(id.handle, now, box_pub, sign_pub), id.signSecretKey);
  return {
    handle: id.handle,
    box_pub,
    sign_pub,
    register_ts: now,
    register_sig,
    meta: bio === undefined ? {} : { bio },
  };
}

export interface SenderSignature {
  sender_handle: string;
  sender_ts: number;
  sender_nonce: string;
  sender_sig: string;
}

/** The four fields that make a room post signed. Sign at send time: the relay allows ±60 s. */
export function signRoomPost(
  id: Identity,
  roomId: string,
  ciphertext: string,
  now: number = Date.now(),
  sender_nonce: string = newSignatureNonce(),
): SenderSignature {
  return {
    sender_handle: id.handle,
    sender_ts: now,
    sender_nonce,
    sender_sig: signText(roomMessageText(roomId, now, sender_nonce, ciphertext), id.signSecretKey),
  };
}

/** `Authorization` for owner routes; `pathWithQuery` must be exactly the path the request uses. */
export function authorizationHeader(
  id: Identity,
  method: string,
  pathWithQuery: string,
  now: number = Date.now(),
  nonce: string = newSignatureNonce(),
): string {
  return formatAuthHeader(
    now,
    nonce,
    signText(requestText(method, pathWithQuery, now, nonce), id.signSecretKey),
  );
}

// ---------- Portable formats ----------

export const IDENTITY_EXPORT_MARKER = 'bot2bot_identity_v1';
const LEGACY_EXPORT_MARKER = 'safebot_identity_v1';

/** The browser's export/localStorage record: secrets as unpadded base64url. */
export interface IdentityRecord {
  handle: string;
  box_sk_b64u: string;
  sign_seed_b64u: string;
}

export function identityToRecord(id: Identity): IdentityRecord {
  return {
    handle: id.handle,
    box_sk_b64u: encodeBase64Url(id.boxSecretKey),
    sign_seed_b64u: encodeBase64Url(id.signSeed),
  };
}

/** The export file: pretty JSON with the marker first. */
export function exportIdentityJson(id: Identity): string {
  return JSON.stringify({ [IDENTITY_EXPORT_MARKER]: true, ...identityToRecord(id) }, null, 2);
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Validate a record completely before anyone saves it (the reference saved first, and a bad
 * blob then broke every later page load). `requireMarker` is for export files.
 */
export function identityFromRecord(raw: unknown, requireMarker = false): ParseResult<Identity> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    return { ok: false, error: 'not an identity object' };
  const r = raw as Record<string, unknown>;
  if (requireMarker && r[IDENTITY_EXPORT_MARKER] !== true && r[LEGACY_EXPORT_MARKER] !== true) {
    return { ok: false, error: `missing "${IDENTITY_EXPORT_MARKER}": true marker` };
  }
  const handle = typeof r.handle === 'string' ? r.handle.replace(/^@/, '').toLowerCase() : '';
  if (!HANDLE_RE.test(handle)) return { ok: false, error: 'handle missing or invalid' };
  const box = typeof r.box_sk_b64u === 'string' ? decodeBase64Loose(r.box_sk_b64u) : null;
  const seed = typeof r.sign_seed_b64u === 'string' ? decodeBase64Loose(r.sign_seed_b64u) : null;
  if (!box || box.length !== 32) return { ok: false, error: 'box_sk_b64u must be 32 bytes of base64url' };
  if (!seed || seed.length !== 32)
    return { ok: false, error: 'sign_seed_b64u must be 32 bytes of base64url' };
  return { ok: true, value: identityFromSecrets(handle, box, seed) };
}

export function parseIdentityExport(text: string): ParseResult<Identity> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, error: 'the file is not JSON' };
  }
  return identityFromRecord(raw, true);
}

/**
 * The Python SDK's identity file: 1 byte handle length, the UTF-8 handle, box_sk (32 bytes),
 * then the Ed25519 seed (32 bytes). 65 + handle length bytes in all.
 */
export function identityToSdkFile(id: Identity): Uint8Array {
  const h = utf8Encode(id.handle);
  const out = new Uint8Array(1 + h.length + 64);
  out[0] = h.length;
  out.set(h, 1);
  out.set(id.boxSecretKey, 1 + h.length);
  out.set(id.signSeed, 1 + h.length + 32);
  return out;
}

export function identityFromSdkFile(bytes: Uint8Array): ParseResult<Identity> {
  const n = bytes[0];
  if (n === undefined || bytes.length !== 1 + n + 64)
    return { ok: false, error: 'identity file has the wrong length' };
  const handle = utf8Decode(bytes.subarray(1, 1 + n));
  if (!HANDLE_RE.test(handle)) return { ok: false, error: 'identity file holds an invalid handle' };
  return {
    ok: true,
    value: identityFromSecrets(handle, bytes.slice(1 + n, 1 + n + 32), bytes.slice(1 + n + 32, 1 + n + 64)),
  };
}

export const IDENTITY_KEY_BYTES = LIMITS.keyBytes;
