/**
 * Owner-signed handle routes (inbox wait/delete, profile delete, heartbeat): handle rule,
 * registration, rate limit, then the signature, in the reference's order. The rate limit comes
 * before the Ed25519 verify so a flood costs the relay no signature checks.
 */
import { ERR, RETRY_AFTER_S, normalizeHandle } from '../../protocol/index.js';
import { rateLimitOrThrow, type RelayDeps } from '../deps.js';
import { HttpError } from '../http/respond.js';
import type { RouteContext } from '../http/router.js';
import type { IdentityRecord } from './types.js';

/** The path handle, `@` stripped and lowercased, or 400 `invalid handle`. */
export function pathHandle(raw: string | undefined): string {
  const h = normalizeHandle(raw);
  if (!h) throw new HttpError(400, ERR.invalidHandle);
  return h;
}

export async function authenticateOwner(deps: RelayDeps, ctx: RouteContext<unknown>): Promise<IdentityRecord> {
  const handle = pathHandle(ctx.params.handle);
  const record = await deps.identities.resolve(handle);
  if (!record) throw new HttpError(404, ERR.noSuchHandle);
  rateLimitOrThrow(deps, ctx.ip, `auth:${handle}`, RETRY_AFTER_S.authRoute);
  if (!deps.identities.verifyRequest(handle, ctx.req.method ?? 'GET', ctx.originalUrl, ctx.req.headers.authorization, deps.now(), ctx.ip)) {
    throw new HttpError(401, ERR.badSignature);
  }
  return record;
}

export const SIGNED_AUTH_NOTE =
  'Owner-signed: `Authorization: Bot2Bot ts=<ms>,n=<nonce 16–64 chars>,sig=<base64 Ed25519 of "<METHOD> <path?query as sent> <ts> <nonce>">`.';
