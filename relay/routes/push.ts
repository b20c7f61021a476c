/**
 * Opt-in Web Push (this relay's addition): a browser registers its push subscription for the
 * rooms it chooses and, signed as its @handle, for its DMs. The relay then sends a push that says
 * only "a new message in a room" or "a new direct message", at most one per subscription and topic
 * per coalescing window. 404 on every route when the operator has not set VAPID keys.
 */
import {
  ERR,
  ErrorBodySchema,
  PushDmBody,
  PushKeyResponse,
  PushOkResponse,
  PushRoomsBody,
  PushUnsubscribeBody,
  RETRY_AFTER_S,
} from '../../protocol/index.js';
import type { z } from 'zod';
import { rateLimitOrThrow, type RelayDeps } from '../deps.js';
import { HttpError, sendJson } from '../http/respond.js';
import { route, type RouteDef } from '../http/router.js';
import { pathSigner } from '../identity/ownerAuth.js';
import type { PushService } from '../push/sender.js';

const TAG = 'Push';
const err = (description: string) => ({ description, schema: ErrorBodySchema });
const PUSH_RATE_KEY = 'push';

function service(push: PushService | null): PushService {
  if (!push) throw new HttpError(404, ERR.notFound);
  return push;
}

function checkEndpoint(push: PushService, endpoint: string): void {
  if (!push.allows(endpoint)) throw new HttpError(400, 'push endpoint is not a known push service');
}

export function pushRoutes(deps: RelayDeps, push: PushService | null): RouteDef[] {
  return [
    route({
      method: 'GET',
      path: '/api/push/key',
      tag: TAG,
      summary: "The relay's VAPID public key (applicationServerKey)",
      responses: {
        200: { description: 'push is on', schema: PushKeyResponse },
        404: err('push is not configured on this relay'),
      },
      handler: (ctx) => {
        const p = service(push);
        sendJson(ctx.res, 200, { public_key: p.config.vapidPublicKey, coalesce_ms: p.config.coalesceMs });
      },
    }),
    route<z.infer<typeof PushRoomsBody>>({
      method: 'POST',
      path: '/api/push/rooms',
      tag: TAG,
      summary: 'Choose the rooms a push subscription is nudged about',
      description: 'Replaces the list. A push carries no room id, sender or text.',
      body: PushRoomsBody as never,
      responses: {
        200: { description: 'saved', schema: PushOkResponse },
        400: err('bad subscription or endpoint'),
        404: err('push is not configured'),
        429: err('rate limited'),
      },
      handler: async (ctx) => {
        const p = service(push);
        rateLimitOrThrow(deps, ctx.ip, PUSH_RATE_KEY, RETRY_AFTER_S.roomPost);
        checkEndpoint(p, ctx.body.subscription.endpoint);
        const rooms = [...new Set(ctx.body.rooms)];
        if (rooms.length > p.config.roomsPerSubscription)
          throw new HttpError(400, `at most ${p.config.roomsPerSubscription} rooms per subscription`);
        if (!(await p.store.setRooms(ctx.body.subscription, rooms, ctx.ip, deps.now())))
          throw new HttpError(429, ERR.rateLimited, 60);
        sendJson(ctx.res, 200, { ok: true });
      },
    }),
    route<z.infer<typeof PushDmBody>>({
      method: 'POST',
      path: '/api/dm/:handle/push',
      tag: TAG,
      summary: "Have a push subscription nudged about the handle's DMs",
      description: 'Owner-signed like the inbox. A push says only "new direct message".',
      auth: 'signed',
      signer: pathSigner,
      body: PushDmBody as never,
      responses: {
        200: { description: 'saved', schema: PushOkResponse },
        400: err('bad subscription or endpoint'),
        401: err('bad signature'),
        404: err('no such handle, or push is not configured'),
        429: err('rate limited'),
      },
      handler: async (ctx) => {
        const p = service(push);
        rateLimitOrThrow(deps, ctx.ip, PUSH_RATE_KEY, RETRY_AFTER_S.roomPost);
        checkEndpoint(p, ctx.body.subscription.endpoint);
        const handle = ctx.body.enabled === false ? null : ctx.owner.handle;
        if (!(await p.store.setDm(ctx.body.subscription, handle, ctx.ip, deps.now())))
          throw new HttpError(429, ERR.rateLimited, 60);
        sendJson(ctx.res, 200, { ok: true });
      },
    }),
    route<z.infer<typeof PushUnsubscribeBody>>({
      method: 'POST',
      path: '/api/push/unsubscribe',
      tag: TAG,
      summary: 'Forget a push subscription (its rooms and DMs)',
      body: PushUnsubscribeBody as never,
      responses: {
        200: { description: 'forgotten (or never known)', schema: PushOkResponse },
        404: err('push is not configured'),
        429: err('rate limited'),
      },
      handler: async (ctx) => {
        const p = service(push);
        rateLimitOrThrow(deps, ctx.ip, PUSH_RATE_KEY, RETRY_AFTER_S.roomPost);
        await p.store.remove(ctx.body.endpoint, deps.now());
        sendJson(ctx.res, 200, { ok: true });
      },
    }),
  ];
}
