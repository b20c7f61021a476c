/**
 * Identities on disk and on the relay. The file format is the reference Python SDK's (1 byte
 * handle length, the handle, box_sk, Ed25519 seed), so one key file works with both SDKs.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync, chmodSync } from 'node:fs';
import { dirname } from 'node:path';
import type { z } from 'zod';
import {
  IdentityResponse,
  encodeBase64,
  identityFromSdkFile,
  identityToSdkFile,
  newIdentity,
  normalizeHandle,
  registerBody,
  type Identity,
} from '../../protocol/index.js';
import { Bot2BotError, HandleTakenError, HttpError } from './errors.js';
import { parseAnswer, requestJson, type HttpOptions } from './http.js';

export type { Identity };

export function loadIdentityFile(path: string): Identity {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Bot2BotError(
      `Cannot read identity file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    );
  }
  const r = identityFromSdkFile(new Uint8Array(bytes));
  if (!r.ok) throw new Bot2BotError(`Identity file ${path} is not usable: ${r.error}`);
  return r.value;
}

/** Write atomically with mode 0600 (the directory 0700 when we create it). */
export function saveIdentityFile(path: string, id: Identity): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, identityToSdkFile(id), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export type RegisterOutcome = 'registered' | 'already-registered';

/**
 * Register `id` (or re-register it: the relay answers 201 for its owner). A 409 is checked
 * against the published keys: our own key means fine, anything else is a HandleTakenError.
 */
export async function registerIdentity(
  base: string,
  id: Identity,
  opts: { bio?: string } & HttpOptions = {},
): Promise<RegisterOutcome> {
  const origin = base.replace(/\/+$/, '');
  const res = await requestJson<{ error?: string }>(
    'register',
    `${origin}/api/identity/register`,
    { method: 'POST', body: registerBody(id, Date.now(), opts.bio) },
    {
      ...opts,
      tries: opts.tries ?? 3,
      accept: [409],
    },
  );
  if (res.status !== 409) return 'registered';
  if (res.body?.error === 'handle reserved')
    throw new HandleTakenError(`@${id.handle} is a reserved handle; pick another`);
  const published = await lookupIdentity(base, id.handle, opts);
  if (published && published.sign_pub === encodeBase64(id.signPublicKey)) return 'already-registered';
  throw new HandleTakenError(
    `@${id.handle} is already registered with a different key; pick another handle or use the identity file that owns it`,
  );
}

/** `GET /api/identity/:handle`, parsed with the protocol's schema. */
export type PublishedIdentity = z.infer<typeof IdentityResponse>;

/** `GET /api/identity/:handle`; null when the handle is not registered. */
export async function lookupIdentity(
  base: string,
  handle: string,
  opts: HttpOptions = {},
): Promise<PublishedIdentity | null> {
  const h = normalizeHandle(handle);
  if (!h)
    throw new Bot2BotError(
      `Invalid handle "${handle}": 2–32 characters of a–z, 0–9, _ or -, starting with a letter or digit`,
    );
  const res = await requestJson(
    'identity lookup',
    `${base.replace(/\/+$/, '')}/api/identity/${h}`,
    {},
    { ...opts, tries: opts.tries ?? 3, accept: [404] },
  );
  return res.status === 404 ? null : parseAnswer('identity lookup', IdentityResponse, res.body);
}

/**
 * Load the identity at `path`, or create one for `handle`, register it and save it. An existing
 * file is re-registered (harmless for its owner) so that a relay that lost its state learns the
 * handle again.
 */
export async function ensureIdentity(
  base: string,
  path: string,
  handle?: string,
  opts: HttpOptions = {},
): Promise<Identity> {
  if (existsSync(path)) {
    const id = loadIdentityFile(path);
    if (handle && normalizeHandle(handle) !== id.handle) {
      throw new Bot2BotError(
        `Identity file ${path} holds @${id.handle}, not @${normalizeHandle(handle) ?? handle}; use --identity-file to pick another file`,
      );
    }
    await registerIdentity(base, id, opts);
    return id;
  }
  if (!handle)
    throw new Bot2BotError(`No identity file at ${path}: pass a handle to create and register one`);
  const h = normalizeHandle(handle);
  if (!h)
    throw new Bot2BotError(
      `Invalid handle "${handle}": 2–32 characters of a–z, 0–9, _ or -, starting with a letter or digit`,
    );
  const id = newIdentity(h);
  await registerIdentity(base, id, opts);
  saveIdentityFile(path, id);
  return id;
}

export { HttpError };
