/**
 * Where an identity lives on this device. Two forms:
 * - the reference's plaintext record under `bot2bot-identity` (kept readable for compatibility,
 *   written only when the user explicitly chooses "remember on this device");
 * - a passphrase-sealed vault under `bot2bot:identity-sealed`.
 * Everything is validated completely before it is written (the reference saved first, and a bad
 * blob then broke every later page load), and nothing here deletes keys unless asked to.
 */
import {
  identityFromRecord,
  identityToRecord,
  parseIdentityExport,
  type Identity,
  type ParseResult,
} from '@protocol/identity.js';
import { openVault, parseVault, sealIdentity, DEFAULT_ITERATIONS, type Vault } from './vault.js';

export const PLAIN_KEY = 'bot2bot-identity';
export const SEALED_KEY = 'bot2bot:identity-sealed';

/** The part of Web Storage we use, so tests can pass an in-memory stand-in. */
export interface KV {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export type StorageMode =
  { kind: 'plain' } | { kind: 'sealed'; passphrase: string; iterations?: number } | { kind: 'memory' };

export type Stored =
  | { kind: 'none' }
  | { kind: 'plain'; identity: Identity }
  | { kind: 'sealed'; vault: Vault }
  | { kind: 'broken'; error: string };

export function defaultKV(): KV | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

function get(kv: KV | null, key: string): string | null {
  try {
    return kv?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

/** What is stored. A sealed vault wins over a plaintext record; broken data is reported, never removed. */
export function readStored(kv: KV | null = defaultKV()): Stored {
  const sealed = get(kv, SEALED_KEY);
  if (sealed) {
    let raw: unknown;
    try {
      raw = JSON.parse(sealed);
    } catch {
      raw = null;
    }
    const v = parseVault(raw);
    if (v) return { kind: 'sealed', vault: v };
  }
  const plain = get(kv, PLAIN_KEY);
  if (!plain)
    return sealed
      ? {
          kind: 'broken',
          error: 'The passphrase-protected identity on this device is damaged; it was left untouched.',
        }
      : { kind: 'none' };
  let raw: unknown;
  try {
    raw = JSON.parse(plain);
  } catch {
    return { kind: 'broken', error: 'The stored identity is not valid JSON; it was left untouched.' };
  }
  const r = identityFromRecord(raw);
  return r.ok
    ? { kind: 'plain', identity: r.value }
    : { kind: 'broken', error: `The stored identity is unusable (${r.error}); it was left untouched.` };
}

/**
 * Write a validated identity in the chosen form. The new form is written first and the other
 * form removed only afterwards, so a failure leaves the previous identity in place.
 */
export async function writeIdentity(
  id: Identity,
  mode: StorageMode,
  kv: KV | null = defaultKV(),
): Promise<void> {
  if (mode.kind === 'memory') return;
  if (!kv)
    throw new Error(
      'This browser does not allow saving data for this site (private mode?). Choose "this tab only".',
    );
  if (mode.kind === 'sealed') {
    const vault = await sealIdentity(id, mode.passphrase, mode.iterations ?? DEFAULT_ITERATIONS);
    kv.setItem(SEALED_KEY, JSON.stringify(vault));
    kv.removeItem(PLAIN_KEY);
  } else {
    kv.setItem(PLAIN_KEY, JSON.stringify(identityToRecord(id)));
    kv.removeItem(SEALED_KEY);
  }
}

/** Validate an export file's text completely; nothing is written. */
export function parseImport(text: string): ParseResult<Identity> {
  if (!text.trim()) return { ok: false, error: 'The file is empty.' };
  if (text.length > 64 * 1024) return { ok: false, error: 'That is far too large to be an identity file.' };
  const r = parseIdentityExport(text);
  return r.ok ? r : { ok: false, error: `Not a usable identity file: ${r.error}.` };
}

/** Validate, then write: a bad file returns an error and leaves storage exactly as it was. */
export async function importIdentity(
  text: string,
  mode: StorageMode,
  kv: KV | null = defaultKV(),
): Promise<ParseResult<Identity>> {
  const r = parseImport(text);
  if (!r.ok) return r;
  await writeIdentity(r.value, mode, kv);
  return r;
}

export async function unlockStored(vault: Vault, passphrase: string): Promise<Identity> {
  return openVault(vault, passphrase);
}

/** Explicit sign-out or forget: the only path that removes keys. */
export function eraseIdentity(kv: KV | null = defaultKV()): void {
  kv?.removeItem(PLAIN_KEY);
  kv?.removeItem(SEALED_KEY);
}

export function storedHandle(s: Stored): string | null {
  return s.kind === 'plain' ? s.identity.handle : s.kind === 'sealed' ? s.vault.handle : null;
}
