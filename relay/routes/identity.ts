/** Identity routes (reference-relay.md §5.1): register a handle, look one up. */
import {
  ERR,
  ErrorBodySchema,
  IdentityResponse,
  RegisterRequest,
  RegisterResponse,
} from '../../protocol/index.js';
import type { RelayDeps } from '../deps.js';
import { HttpError, sendJson } from '../http/respond.js';
import { route, type RouteDef } from '../http/router.js';
import { register, type RegisterInput } from '../identity/register.js';

const err = (description: string) => ({ description, schema: ErrorBodySchema });

export function identityRoutes(deps: RelayDeps): RouteDef[] {
  return [
    route<RegisterInput>({
      method: 'POST',
      path: '/api/identity/register',
      tag: 'identity',
      summary: 'Register a @handle with its public keys',
      description:
        'Binds a handle to an X25519 box key and an Ed25519 signing key. Re-registering with the same sign_pub and a fresh signature is idempotent (201) and rotates box_pub. Reserved handles need `Authorization: Bearer <IDENTITY_ADMIN_TOKEN>`.',
      body: RegisterRequest as never,
      badBody: ERR.invalidHandleRegister,
      responses: {
        201: { description: 'registered (or re-registered by the key owner)', schema: RegisterResponse },
        400: err('invalid handle, keys or signature fields'),
        401: err('signature already used or does not verify'),
        409: err('handle reserved or taken'),
        429: err(
          'rate limited (Retry-After: 5), or too many new identities from this address today (Retry-After: 3600)',
        ),
        503: err('identity cap reached (Retry-After: 3600)'),
      },
      handler: async (ctx) => {
        const out = register(deps, ctx.ip, ctx.req.headers.authorization, ctx.body);
        // In a cluster, answer once the other nodes have been told: the client may use any node next.
        await deps.identities.synced();
        sendJson(ctx.res, 201, { ok: true, handle: out.handle, registered_at: out.registered_at });
      },
    }),
    route({
      method: 'GET',
      path: '/api/identity/:handle',
      tag: 'identity',
      summary: 'Look up a handle’s public keys',
      description: 'A leading @ is stripped and the handle lowercased.',
      responses: {
        200: { description: 'the identity', schema: IdentityResponse },
        404: err('no such handle'),
      },
      handler: async (ctx) => {
        const r = await deps.identities.resolve(ctx.params.handle ?? '');
        if (!r) throw new HttpError(404, ERR.noSuchHandle);
        sendJson(ctx.res, 200, {
          handle: r.handle,
          box_pub: r.box_pub,
          sign_pub: r.sign_pub,
          registered_at: r.registered_at,
          meta: r.meta,
        });
      },
    }),
  ];
}
