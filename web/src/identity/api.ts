/**
 * The identity routes from the browser (reference-relay.md §5.1) with plain-words errors:
 * registration distinguishes taken, reserved, invalid and clock skew, and the ownership check at
 * load never deletes anything (reference-client.md §6.3 "Recommend").
 */
import { encodeBase64 } from '@protocol/base64.js';
import { ERR } from '@protocol/errors.js';
import { registerBody, type Identity } from '@protocol/identity.js';
import { IdentityResponse } from '@protocol/schemas/identity.js';
import { errorText } from '../transport/errorText.js';

export type ApiResult = { ok: true } | { ok: false; status: number; message: string };

export function describeRegisterError(handle: string, status: number, error: string): string {
  if (status === 0) return 'Could not reach the relay. Check your connection and try again.';
  if (status === 409 && error === ERR.handleReserved) return `@${handle} is reserved. Pick another handle.`;
  if (status === 409) return `@${handle} is already taken by someone else. Pick another handle.`;
  if (status === 400 && error === ERR.registerSkew)
    return "Your device clock is more than a minute off from the relay's. Set the clock automatically and try again.";
  if (status === 400 && error === ERR.invalidHandleRegister)
    return 'Handles are 2–32 characters: a–z, 0–9, _ or -, starting with a letter or digit.';
  if (status === 429) return 'Too many registrations right now. Wait a few seconds and try again.';
  if (status === 503) return 'The relay cannot take new identities right now. Try again later.';
  return `Registration failed (${status}): ${error}`;
}

/** Register (or idempotently re-register) an identity from this browser. */
export async function registerIdentity(id: Identity, now: number = Date.now()): Promise<ApiResult> {
  let res: Response;
  try {
    res = await fetch('/api/identity/register', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(registerBody(id, now)),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    return { ok: false, status: 0, message: describeRegisterError(id.handle, 0, '') };
  }
  if (res.status === 201) return { ok: true };
  const error = await errorText(res);
  return { ok: false, status: res.status, message: describeRegisterError(id.handle, res.status, error) };
}

export type Lookup =
  { kind: 'found'; identity: IdentityResponse } | { kind: 'missing' } | { kind: 'error'; message: string };

export async function lookupHandle(handle: string): Promise<Lookup> {
  let res: Response;
  try {
    res = await fetch(`/api/identity/${encodeURIComponent(handle)}`, {
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    return { kind: 'error', message: 'Could not reach the relay.' };
  }
  if (res.status === 404) return { kind: 'missing' };
  if (!res.ok) return { kind: 'error', message: `Lookup failed (${res.status}).` };
  const parsed = IdentityResponse.safeParse(await res.json().catch(() => null));
  return parsed.success
    ? { kind: 'found', identity: parsed.data }
    : { kind: 'error', message: 'The relay sent an unexpected reply.' };
}

export type Ownership = { kind: 'ok' } | { kind: 'conflict' } | { kind: 'unverified'; message: string };

/**
 * Is this handle still ours on the relay? Re-registers (which also heals a handle the relay
 * forgot); on 409, compares the relay's sign_pub with ours. Only a different key is a conflict:
 * a 409 for our own key means the signature was not fresh (clock skew), and keys are kept.
 */
export async function checkOwnership(id: Identity): Promise<Ownership> {
  const r = await registerIdentity(id);
  if (r.ok) return { kind: 'ok' };
  if (r.status !== 409) return { kind: 'unverified', message: r.message };
  const who = await lookupHandle(id.handle);
  if (who.kind === 'found' && who.identity.sign_pub !== encodeBase64(id.signPublicKey))
    return { kind: 'conflict' };
  if (who.kind === 'found')
    return {
      kind: 'unverified',
      message:
        'The relay did not accept a fresh signature from this device: check that your clock is set automatically. Your keys are kept.',
    };
  return {
    kind: 'unverified',
    message: who.kind === 'error' ? who.message : `@${id.handle} could not be registered again.`,
  };
}
