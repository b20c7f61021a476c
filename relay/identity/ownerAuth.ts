/**
 * Owner-signed routes (inbox wait/delete, profile delete, heartbeat, claim, ack): the router asks
 * the route for the signer's handle (its rule checked), then runs this check: registration, rate
 * limit, then the signature, in the reference's order. The rate limit comes before the Ed25519
 * verify so a flood costs the relay no signature checks.
 */
import { ERR, RETRY_AFTER_S, normalizeHandle } from '../../protocol/index.js';
import { rateLimitOrThrow, type RelayDeps } from '../deps.js';
import { HttpError } from '../http/respond.js';
import type { OwnerCheck, RouteContext } from '../http/router.js';
import type { IdentityRecord } from './types.js';

/** The path handle, `@` stripped and lowercased, or 400 `invalid handle`. */
export function pathHandle(raw: string | undefined): string {
  const h = normalizeHandle(raw);
  if (!h) throw new HttpError(400, ERR.invalidHandle);
  return h;
}

/** The signer of a route with `:handle` in its path. */
export function pathSigner(ctx: RouteContext<unknown>): string {
  return pathHandle(ctx.params.handle);
}

export function ownerCheck(deps: RelayDeps): OwnerCheck {
  return (handle, ctx) => authenticateOwner(deps, handle, ctx);
}

async function authenticateOwner(
  deps: RelayDeps,
  handle: string,
  ctx: RouteContext<unknown>,
): Promise<IdentityRecord> {
  const record = await deps.identities.resolve(handle);
  if (!record) throw new HttpError(404, ERR.noSuchHandle);
  rateLimitOrThrow(deps, ctx.ip, `auth:${handle}`, RETRY_AFTER_S.authRoute);
  if (
    !deps.identities.verifyRequest(
      handle,
      ctx.req.method ?? '',
      ctx.originalUrl,
      ctx.req.headers.authorization,
      deps.now(),
      ctx.ip,
    )
  ) {
    throw new HttpError(401, ERR.badSignature);
  }
  return record;
}

export const SIGNED_AUTH_NOTE =
  'Owner-signed: `Authorization: Bot2Bot ts=<ms>,n=<nonce 16–64 chars>,sig=<base64 Ed25519 of "<METHOD> <path?query as sent> <ts> <nonce>">`.';
