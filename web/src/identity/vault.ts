/**
 * Passphrase protection at rest (reference-client.md §6.2 "Recommend"): the identity record is
 * encrypted with AES-GCM under a key derived from the passphrase with PBKDF2-SHA-256. The handle
 * stays readable so the unlock prompt can name it, and it is bound in as additional data, so a
 * vault cannot be relabelled under someone else's handle.
 */
import { decodeBase64Loose, encodeBase64Url } from '@protocol/base64.js';
import { utf8Decode, utf8Encode } from '@protocol/hash.js';
import { identityFromRecord, identityToRecord, type Identity } from '@protocol/identity.js';
import { HANDLE_RE, randomBytes } from '@protocol/ids.js';

export const VAULT_MARKER = 'bot2bot_identity_sealed_v1';
/** OWASP's 2023 figure for PBKDF2-HMAC-SHA256; a fraction of a second in current browsers. */
export const DEFAULT_ITERATIONS = 600_000;
export const MIN_PASSPHRASE_CHARS = 8;

export interface Vault {
  [VAULT_MARKER]: true;
  handle: string;
  kdf: 'PBKDF2-SHA256';
  iterations: number;
  salt: string;
  iv: string;
  ciphertext: string;
}

export class WrongPassphraseError extends Error {
  constructor() {
    super('Wrong passphrase.');
  }
}

function aad(handle: string): Uint8Array<ArrayBuffer> {
  return buf(utf8Encode(`bot2bot-identity:${handle}`));
}

/** WebCrypto wants ArrayBuffer-backed views; copy into one so any Uint8Array is accepted. */
function buf(u: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(new ArrayBuffer(u.length));
  out.set(u);
  return out;
}

async function deriveKey(passphrase: string, salt: Uint8Array, iterations: number): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey(
    'raw',
    buf(utf8Encode(passphrase.normalize('NFC'))),
    'PBKDF2',
    false,
    ['deriveKey'],
  );
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: buf(salt), iterations },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

export function passphraseProblem(p: string, confirm?: string): string | null {
  if (p.length < MIN_PASSPHRASE_CHARS) return `Use at least ${MIN_PASSPHRASE_CHARS} characters.`;
  if (confirm !== undefined && p !== confirm) return 'The two passphrases do not match.';
  return null;
}

export async function sealIdentity(
  id: Identity,
  passphrase: string,
  iterations: number = DEFAULT_ITERATIONS,
): Promise<Vault> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await deriveKey(passphrase, salt, iterations);
  const plain = utf8Encode(JSON.stringify(identityToRecord(id)));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv: buf(iv), additionalData: aad(id.handle) },
      key,
      buf(plain),
    ),
  );
  plain.fill(0);
  return {
    [VAULT_MARKER]: true,
    handle: id.handle,
    kdf: 'PBKDF2-SHA256',
    iterations,
    salt: encodeBase64Url(salt),
    iv: encodeBase64Url(iv),
    ciphertext: encodeBase64Url(ct),
  };
}

/** Check the shape of a stored vault; null when it is not one we can ever open. */
export function parseVault(raw: unknown): Vault | null {
  if (raw === null || typeof raw !== 'object') return null;
  const v = raw as Record<string, unknown>;
  if (v[VAULT_MARKER] !== true || v.kdf !== 'PBKDF2-SHA256') return null;
  if (typeof v.handle !== 'string' || !HANDLE_RE.test(v.handle)) return null;
  if (
    typeof v.iterations !== 'number' ||
    !Number.isInteger(v.iterations) ||
    v.iterations < 1000 ||
    v.iterations > 10_000_000
  )
    return null;
  for (const k of ['salt', 'iv', 'ciphertext'] as const)
    if (typeof v[k] !== 'string' || !decodeBase64Loose(v[k])) return null;
  return v as unknown as Vault;
}

/** Decrypt and fully validate; a wrong passphrase and a tampered vault both fail closed. */
export async function openVault(v: Vault, passphrase: string): Promise<Identity> {
  const key = await deriveKey(passphrase, decodeBase64Loose(v.salt)!, v.iterations);
  let plain: Uint8Array;
  try {
    plain = new Uint8Array(
      await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: buf(decodeBase64Loose(v.iv)!), additionalData: aad(v.handle) },
        key,
        buf(decodeBase64Loose(v.ciphertext)!),
      ),
    );
  } catch {
    throw new WrongPassphraseError();
  }
  let rec: unknown;
  try {
    rec = JSON.parse(utf8Decode(plain));
  } catch {
    throw new Error('The protected identity is damaged.');
  } finally {
    plain.fill(0);
  }
  const r = identityFromRecord(rec);
  if (!r.ok) throw new Error(`The protected identity is damaged (${r.error}).`);
  if (r.value.handle !== v.handle) throw new Error('The protected identity is damaged (handle mismatch).');
  return r.value;
}
