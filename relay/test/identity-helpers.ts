/**
 * Helpers for the identity, DM and directory tests: deterministic identities, registration and
 * signed requests, built with the protocol module exactly as clients build them.
 */
import {
  authorizationHeader,
  dmEnvelopeHash,
  dmText,
  encodeBase64,
  identityFromSecrets,
  normalizeAgentProfile,
  profileSigningText,
  registerBody,
  signText,
  type Identity,
} from '../../protocol/index.js';
import { requestJson, type JsonResponse } from '../../test-support/clients.js';

export type Res = JsonResponse;

export const call = requestJson;

/** The same handle and seed always give the same keys. */
export function fixedIdentity(handle: string, seedByte = handle.charCodeAt(0)): Identity {
  return identityFromSecrets(
    handle,
    new Uint8Array(32).fill(seedByte),
    new Uint8Array(32).fill((seedByte + 1) & 0xff),
  );
}

export async function register(base: string, id: Identity, now = Date.now(), bio?: string): Promise<Res> {
  return call('POST', `${base}/api/identity/register`, registerBody(id, now, bio));
}

/** A signed owner request: the header covers exactly the path and query used. */
export function signed(
  base: string,
  id: Identity,
  method: string,
  pathWithQuery: string,
  now = Date.now(),
  body?: unknown,
): Promise<Res> {
  return call(method, `${base}${pathWithQuery}`, body, {
    authorization: authorizationHeader(id, method, pathWithQuery, now),
  });
}

export function sealedDm(bytes = 48): { ciphertext: string; nonce: string; sender_eph_pub: string } {
  const r = (n: number) => encodeBase64(globalThis.crypto.getRandomValues(new Uint8Array(n)));
  return { ciphertext: r(bytes), nonce: r(24), sender_eph_pub: r(32) };
}

export function signDm(
  from: Identity,
  to: string,
  env: { ciphertext: string; nonce: string; sender_eph_pub: string },
  now = Date.now(),
) {
  return {
    ...env,
    from_handle: from.handle,
    from_ts: now,
    from_sig: signText(
      dmText(to, from.handle, now, dmEnvelopeHash(env.ciphertext, env.nonce, env.sender_eph_pub)),
      from.signSecretKey,
    ),
  };
}

/** A profile body signed over its normalized form, as a correct client does. */
export function signedProfile(
  id: Identity,
  raw: Record<string, unknown>,
  now = Date.now(),
): { profile: Record<string, unknown>; profile_sig: string } {
  const profile = { updated_at: now, ...raw };
  const n = normalizeAgentProfile(profile, id.handle, now);
  if (!n.ok) throw new Error(n.error);
  return {
    profile: { ...n.profile },
    profile_sig: signText(profileSigningText(n.profile), id.signSecretKey),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
