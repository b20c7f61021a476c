/**
 * The server-side cursor (reference-relay.md §2.8): claim a message under a lease, ack it to
 * advance. Turn-based agent hosts (MCP claim_task/ack_task, CLI --claim/--ack) stand on this.
 */
import {
  ERR,
  LIMITS,
  LOOSE_HANDLE_RE,
  type AckBody,
  type AckResponse,
  type ClaimBody,
  type ClaimResponse,
} from '../../protocol/index.js';
import { ErrorBodySchema } from '../../protocol/index.js';
import type { RelayDeps } from '../deps.js';
import { HttpError, sendJson } from '../http/respond.js';
import { clampTimeout, intParam, route, type RouteContext, type RouteDef } from '../http/router.js';
import { parkUntil } from '../rooms/park.js';
import type { ClaimOutcome } from '../rooms/types.js';

interface Schemas {
  ClaimBody: typeof ClaimBody;
  AckBody: typeof AckBody;
  ClaimResponse: typeof ClaimResponse;
  AckResponse: typeof AckResponse;
}

const err = (description: string) => ({ description, schema: ErrorBodySchema });

/** The signer named in the body, lowercased; the reference's looser handle rule. */
function bodySigner(ctx: RouteContext<{ handle: string }>): string {
  const handle = ctx.body.handle.toLowerCase();
  if (!LOOSE_HANDLE_RE.test(handle)) throw new HttpError(400, ERR.badHandle);
  return handle;
}

function leaseMs(query: URLSearchParams): number {
  const v = intParam(query, 'ttl_ms', 0);
  if (v <= 0) return LIMITS.claimLeaseDefaultMs;
  return Math.min(LIMITS.claimLeaseMaxMs, Math.max(LIMITS.claimLeaseMinMs, v));
}

function claimBodyOf(o: ClaimOutcome): Record<string, unknown> {
  switch (o.kind) {
    case 'hit':
      return { ok: true, claim_id: o.claimId, message: o.message, cursor: o.cursor, last_seq: o.lastSeq };
    case 'missing':
      return { ok: true, empty: true, last_seq: 0, cursor: o.cursor, exists: false };
    case 'empty':
      return { ok: true, empty: true, last_seq: o.lastSeq, cursor: o.cursor };
  }
}

export function claimRoutes(deps: RelayDeps, s: Schemas): RouteDef[] {
  const answer = (o: ClaimOutcome) => {
    deps.metrics?.claim(o.kind === 'hit');
    return claimBodyOf(o);
  };
  return [
    route({
      method: 'POST',
      path: '/api/rooms/:roomId/claim',
      tag: 'Cursor',
      summary: 'Claim the next message under a lease (server-side cursor)',
      description:
        'Signed by `handle`. Returns the oldest message after the cursor not sent by the caller or `exclude_senders`, leased for `ttl_ms` (60–300 s). Re-claiming before the lease ends returns the same claim; an expired lease redelivers. Holds up to `timeout` seconds when nothing is claimable.',
      body: s.ClaimBody,
      badBody: ERR.badHandle,
      auth: 'signed',
      signer: bodySigner,
      query: [
        {
          name: 'timeout',
          description: 'seconds to hold when empty (1–90)',
          schema: { type: 'integer', default: 30, minimum: 1, maximum: 90 },
        },
        {
          name: 'ttl_ms',
          description: 'lease length, clamped to 60000–300000',
          schema: { type: 'integer', default: 60000 },
        },
      ],
      responses: {
        200: { description: 'a claimed message, or empty', schema: s.ClaimResponse },
        400: err('bad roomId or bad handle'),
        401: err('bad or missing signature'),
        404: err('no such handle'),
        429: err('rate limited or too many waiters'),
      },
      async handler(ctx) {
        const handle = ctx.owner.handle;
        const roomId = ctx.params.roomId!;
        const exclude = new Set<string>([handle, `@${handle}`]);
        const extra = (ctx.body as { exclude_senders?: unknown }).exclude_senders;
        if (Array.isArray(extra)) {
          for (const x of extra)
            if (typeof x === 'string' && x.length >= 1 && x.length <= LIMITS.excludeSenderMaxChars)
              exclude.add(x);
        }
        const lease = leaseMs(ctx.query);
        const timeoutS = clampTimeout(
          ctx.query,
          'timeout',
          LIMITS.waitTimeoutDefaultS,
          LIMITS.waitTimeoutMinS,
          LIMITS.waitTimeoutMaxS,
        );
        const first = await deps.backend.claim(roomId, handle, exclude, lease, deps.now());
        if (first.kind !== 'empty') return sendJson(ctx.res, 200, answer(first));
        // Unlike the reference, a wake-up with nothing claimable (our own post, an excluded
        // sender) keeps waiting instead of answering empty at once.
        await parkUntil(
          deps,
          roomId,
          ctx.ip,
          ctx.res,
          timeoutS * 1000,
          async () => {
            const o = await deps.backend.claim(roomId, handle, exclude, lease, deps.now());
            if (o.kind === 'empty') return false;
            sendJson(ctx.res, 200, answer(o));
            return true;
          },
          async () =>
            sendJson(
              ctx.res,
              200,
              answer(await deps.backend.claim(roomId, handle, exclude, lease, deps.now())),
            ),
        );
      },
    }),
    route({
      method: 'POST',
      path: '/api/rooms/:roomId/ack',
      tag: 'Cursor',
      summary: 'Acknowledge a claim and advance the cursor',
      description:
        'Signed by `handle`. Re-acking an acknowledged seq is a no-op; a stale or unknown claim is a 409 carrying the cursor.',
      body: s.AckBody,
      badBody: ERR.badHandle,
      auth: 'signed',
      signer: bodySigner,
      responses: {
        200: { description: 'acknowledged (advanced or already past)', schema: s.AckResponse },
        400: err('bad roomId or bad handle'),
        401: err('bad or missing signature'),
        404: err('no such handle'),
        409: err('stale or unknown claim (with cursor)'),
        429: err('rate limited'),
      },
      async handler(ctx) {
        const handle = ctx.owner.handle;
        const seq = Number.parseInt(String(ctx.body.seq ?? ''), 10);
        const claimId = typeof ctx.body.claim_id === 'string' ? ctx.body.claim_id : '';
        const out = await deps.backend.ack(ctx.params.roomId!, handle, claimId, seq, deps.now());
        if (!out.ok) throw new HttpError(409, ERR.staleClaim, undefined, { cursor: out.cursor });
        sendJson(ctx.res, 200, { ok: true, advanced: out.advanced, cursor: out.cursor });
      },
    }),
  ];
}
