/**
 * DM routes (reference-relay.md §5.5): send, the owner-signed inbox long-poll, owner-signed
 * delete. Inboxes live in RAM only.
 */
import {
  DmDeleteResponse,
  DmInboxResponse,
  DmSendBody,
  DmSendResponse,
  ERR,
  ErrorBodySchema,
  LIMITS,
  RETRY_AFTER_S,
  type DmEnvelope,
} from '../../protocol/index.js';
import type { RelayDeps } from '../deps.js';
import { HttpError, sendJson } from '../http/respond.js';
import { clampTimeout, intParam, route, type RouteDef, type SignedContext } from '../http/router.js';
import { sendDm, type DmInput } from '../dm/send.js';
import { SIGNED_AUTH_NOTE, pathSigner } from '../identity/ownerAuth.js';

const err = (description: string) => ({ description, schema: ErrorBodySchema });
const ownerErrors = {
  400: err('invalid handle'),
  401: err('bad or missing signature'),
  404: err('no such handle'),
  429: err('rate limited (Retry-After: 5) or too many concurrent waiters'),
};

async function waitInbox(deps: RelayDeps, ctx: SignedContext<unknown>): Promise<void> {
  const handle = ctx.owner.handle;
  const inboxes = deps.identities.inboxes;
  const after = Math.max(0, intParam(ctx.query, 'after', 0));
  const timeoutS = clampTimeout(
    ctx.query,
    'timeout',
    LIMITS.waitTimeoutDefaultS,
    LIMITS.waitTimeoutMinS,
    LIMITS.waitTimeoutMaxS,
  );
  const now = deps.now();
  const ready = await inboxes.since(handle, after, LIMITS.dmWaitBatch, now);
  if (ready.messages.length > 0) {
    sendJson(ctx.res, 200, {
      messages: ready.messages,
      last_seq: ready.messages[ready.messages.length - 1]!.seq,
      has_more: ready.hasMore,
    });
    return;
  }
  if (inboxes.waiters.count(handle) >= LIMITS.dmWaitersPerHandle)
    throw new HttpError(429, ERR.tooManyHandleWaiters, RETRY_AFTER_S.waiterCap);
  if (!deps.waitersPerIp.tryAcquire(ctx.ip, deps.config.limits.waitersPerIp))
    throw new HttpError(429, ERR.tooManyIpWaiters, RETRY_AFTER_S.waiterCap);
  await new Promise<void>((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return false;
      done = true;
      clearTimeout(timer);
      inboxes.waiters.unpark(handle, waiter);
      deps.waitersPerIp.release(ctx.ip);
      resolve();
      return true;
    };
    const waiter = {
      after,
      wake: (messages: DmEnvelope[]) => {
        if (finish()) sendJson(ctx.res, 200, { messages, last_seq: messages[messages.length - 1]!.seq });
      },
    };
    const timer = setTimeout(() => {
      if (finish()) sendJson(ctx.res, 200, { messages: [], last_seq: after });
    }, timeoutS * 1000);
    ctx.res.on('close', finish);
    inboxes.waiters.park(handle, waiter);
    // With shared inboxes the first read was a round trip: a DM stored meanwhile woke nobody.
    void inboxes.since(handle, after, LIMITS.dmWaitBatch, deps.now()).then(
      (r) => {
        if (r.messages.length > 0) waiter.wake(r.messages);
      },
      () => {},
    );
  });
}

export function dmRoutes(deps: RelayDeps): RouteDef[] {
  return [
    route<DmInput>({
      method: 'POST',
      path: '/api/dm/:handle',
      tag: 'dm',
      summary: 'Send a sealed direct message to a handle',
      description:
        'Anyone may send. ciphertext = base64(nacl.box(text, nonce, recipient box_pub, ephemeral secret)). With from_handle, from_ts and from_sig the envelope is marked from_verified; otherwise from_handle is stored as null.',
      body: DmSendBody as never,
      badBody: ERR.dmFieldsRequired,
      responses: {
        200: { description: 'queued in the recipient’s RAM inbox', schema: DmSendResponse },
        400: err('invalid handle or envelope'),
        401: err('bad from_handle signature or envelope already seen'),
        404: err('no such handle'),
        429: err(
          "rate limited (Retry-After: 1), replay cache full, or this address's DM buffer share used up (Retry-After: 60)",
        ),
        503: err('the envelope is larger than the whole DM buffer (Retry-After: 60)'),
      },
      handler: async (ctx) => {
        const out = await sendDm(deps, ctx.ip, ctx.params.handle, ctx.body);
        deps.metrics?.dm();
        sendJson(ctx.res, 200, { ok: true, id: out.id, seq: out.seq });
      },
    }),
    route({
      method: 'GET',
      path: '/api/dm/:handle/inbox/wait',
      tag: 'dm',
      summary: 'Long-poll the owner’s inbox',
      description: `${SIGNED_AUTH_NOTE} Answers at once with up to ${LIMITS.dmWaitBatch} envelopes with seq > after (and has_more); otherwise parks until a DM arrives or the timeout passes. Reading does not delete.`,
      auth: 'signed',
      signer: pathSigner,
      query: [
        {
          name: 'after',
          description: 'return envelopes with seq greater than this',
          schema: { type: 'integer', default: 0, minimum: 0 },
        },
        {
          name: 'timeout',
          description: 'seconds to wait; 0 or invalid means the default',
          schema: {
            type: 'integer',
            default: LIMITS.waitTimeoutDefaultS,
            minimum: LIMITS.waitTimeoutMinS,
            maximum: LIMITS.waitTimeoutMaxS,
          },
        },
      ],
      responses: {
        200: { description: 'envelopes, or none on timeout', schema: DmInboxResponse },
        ...ownerErrors,
      },
      handler: (ctx) => waitInbox(deps, ctx),
    }),
    route({
      method: 'DELETE',
      path: '/api/dm/:handle/inbox/:id',
      tag: 'dm',
      summary: 'Delete an envelope from the owner’s inbox',
      description: SIGNED_AUTH_NOTE,
      auth: 'signed',
      signer: pathSigner,
      responses: {
        200: { description: 'how many envelopes were removed', schema: DmDeleteResponse },
        ...ownerErrors,
      },
      handler: async (ctx) => {
        const removed = await deps.identities.inboxes.remove(ctx.owner.handle, ctx.params.id ?? '');
        sendJson(ctx.res, 200, { ok: true, removed });
      },
    }),
  ];
}
