/**
 * Room routes over plain HTTP: post, long-poll, transcript, status, heartbeat (reference-relay.md
 * §2.1, §2.4–§2.7). SSE and WebSocket live in transports/.
 */
import type { ServerResponse } from 'node:http';
import {
  AckBody,
  AckResponse,
  ClaimBody,
  ClaimResponse,
  ERR,
  ErrorBodySchema,
  LIMITS,
  ListeningBody,
  MessagesResponse,
  PostMessageBody,
  PostConflictBody,
  PostMessageResponse,
  RETRY_AFTER_S,
  RoomStatus,
  isLaxBoxPub,
  normalizePresenceName,
  type StoredMessage,
} from '../../protocol/index.js';
import { rateLimitOrThrow, type RelayDeps } from '../deps.js';
import { ANSWER_PAGE_BYTES, type LargeAnswers } from '../http/largeAnswer.js';
import { HttpError, sendJson, sendJsonText } from '../http/respond.js';
import { clampTimeout, intParam, route, type RouteDef } from '../http/router.js';
import { parkUntil } from '../rooms/park.js';
import { acceptPost } from '../rooms/post.js';
import { claimRoutes } from './claim.js';

const TAG = 'Rooms';
const err = (description: string) => ({ description, schema: ErrorBodySchema });

const afterParam = {
  name: 'after',
  description: 'only messages with seq greater than this',
  schema: { type: 'integer' as const, default: 0 },
};

/** `{ok, id, seq}`, the answer to every post: `id` is the relay's own UUID, nothing to escape. */
function sendPosted(res: ServerResponse, m: StoredMessage): void {
  sendJsonText(res, 200, '{"ok":true,"id":"' + m.id + '","seq":' + m.seq + '}');
}

export function roomRoutes(deps: RelayDeps, answers: LargeAnswers): RouteDef[] {
  return [
    route({
      method: 'POST',
      path: '/api/rooms/:roomId/messages',
      tag: TAG,
      summary: 'Post a sealed message',
      description:
        'Body: {sender?, ciphertext, nonce, reply_to?, ttl_ms?, expected_last_seq?} plus the optional signature fields. Creates the room if needed. The sender sees its own message through the stream like everyone else.',
      body: PostMessageBody,
      badBody: ERR.badMessage,
      responses: {
        200: { description: 'stored and broadcast', schema: PostMessageResponse },
        400: err('bad roomId, bad message, or signed_only without a signature'),
        401: err('bad sender_sig'),
        403: err('the room is signed-only and the post is unsigned'),
        409: {
          description: 'expected_last_seq was given and the room has moved on; nothing was stored',
          schema: PostConflictBody,
        },
        429: err("rate limited, or this address's room quota or buffer share used up (Retry-After)"),
        503: err('room cap reached, or the message is larger than the whole buffer (Retry-After)'),
      },
      handler({ params, body, ip, res }) {
        const m = acceptPost(deps, params.roomId!, body, ip, 'http');
        if (m instanceof Promise) return m.then((stored) => sendPosted(res, stored));
        sendPosted(res, m);
      },
    }),
    route({
      method: 'GET',
      path: '/api/rooms/:roomId/wait',
      tag: TAG,
      summary: 'Long-poll for messages after a seq',
      description:
        'Answers at once when messages newer than `after` exist (up to 500), otherwise holds the request until the next message or the timeout. Does not create the room; a room that does not exist is waited on as well, and the timeout answer then carries `exists: false`.',
      query: [
        afterParam,
        {
          name: 'timeout',
          description: 'seconds to hold (1–90; 0 or invalid means 30)',
          schema: { type: 'integer', default: 30, minimum: 1, maximum: 90 },
        },
      ],
      responses: {
        200: { description: 'messages (possibly none)', schema: MessagesResponse },
        400: err('bad roomId'),
        429: err('too many concurrent waiters'),
        503: err('every slot for message lists is taken by readers still reading (Retry-After)'),
      },
      async handler({ params, query, ip, res }) {
        const roomId = params.roomId!;
        const after = Math.max(0, intParam(query, 'after', 0));
        const timeoutS = clampTimeout(
          query,
          'timeout',
          LIMITS.waitTimeoutDefaultS,
          LIMITS.waitTimeoutMinS,
          LIMITS.waitTimeoutMaxS,
        );
        const first = await deps.backend.read(
          roomId,
          after,
          LIMITS.waitMaxMessages,
          deps.now(),
          ANSWER_PAGE_BYTES,
        );
        if (first && first.messages.length > 0) {
          return answers.stream(
            res,
            ip,
            first,
            LIMITS.waitMaxMessages,
            (a, n) => deps.backend.read(roomId, a, n, deps.now(), ANSWER_PAGE_BYTES),
            (lastSeq) => ({ last_seq: lastSeq }),
          );
        }
        // A missing room is waited on too, without creating it: the reference answered at once,
        // and a naive `while true: wait()` loop then spun as fast as it could.
        await parkUntil(
          deps,
          roomId,
          ip,
          res,
          timeoutS * 1000,
          async () => {
            const r = await deps.backend.read(roomId, after, LIMITS.waitMaxMessages, deps.now());
            if (!r || r.messages.length === 0) return false;
            sendJson(res, 200, { messages: r.messages.map(tagged), last_seq: r.lastSeq });
            return true;
          },
          async () => {
            const info = await deps.backend.info(roomId, deps.now());
            sendJson(
              res,
              200,
              info ? { messages: [], last_seq: info.lastSeq } : { messages: [], last_seq: 0, exists: false },
            );
          },
          (m) => {
            // Only the very next seq answers alone (it is then the room's newest, so also
            // last_seq). With a shared backend a wake-up can be one this request missed the
            // predecessor of, while it was reading; anything else goes back to a read.
            if (m.seq !== after + 1) return false;
            sendJson(res, 200, { messages: [tagged(m)], last_seq: m.seq });
            return true;
          },
        );
      },
    }),
    route({
      method: 'GET',
      path: '/api/rooms/:roomId/transcript',
      tag: TAG,
      summary: 'Fetch a window of retained ciphertext',
      description:
        'The first `limit` retained messages with seq > after, oldest first. Does not create the room or keep it alive.',
      query: [
        afterParam,
        {
          name: 'limit',
          description: 'how many (1–500)',
          schema: { type: 'integer', default: 100, minimum: 1, maximum: 500 },
        },
      ],
      bucket: 'transcript',
      responses: {
        200: { description: 'messages', schema: MessagesResponse },
        400: err('bad roomId'),
        429: err('rate limited, or too many large answers in flight to this address (Retry-After)'),
        503: err('every slot for message lists is taken by readers still reading (Retry-After)'),
      },
      async handler({ params, query, ip, res }) {
        const roomId = params.roomId!;
        const after = Math.max(0, intParam(query, 'after', 0));
        const limit = Math.min(
          LIMITS.transcriptLimitMax,
          Math.max(1, intParam(query, 'limit', LIMITS.transcriptLimitDefault)),
        );
        const first = await deps.backend.read(roomId, after, limit, deps.now(), ANSWER_PAGE_BYTES);
        if (!first) return sendJson(res, 200, { messages: [], last_seq: 0, exists: false });
        await answers.stream(
          res,
          ip,
          first,
          limit,
          (a, n) => deps.backend.read(roomId, a, n, deps.now(), ANSWER_PAGE_BYTES),
          (lastSeq, count) => ({ last_seq: lastSeq, count, exists: true }),
        );
      },
    }),
    route({
      method: 'GET',
      path: '/api/rooms/:roomId/status',
      tag: TAG,
      summary: 'Room state: participants, last_seq, idle time, lock',
      responses: {
        200: { description: 'status (exists:false when the room is gone)', schema: RoomStatus },
        400: err('bad roomId'),
      },
      async handler({ params, res }) {
        const roomId = params.roomId!;
        const now = deps.now();
        const info = await deps.backend.info(roomId, now);
        if (!info) return sendJson(res, 200, { exists: false, roomId });
        const presence = await deps.hub.presence(roomId);
        sendJson(res, 200, {
          exists: true,
          roomId,
          participants: presence.size,
          recent_count: info.count,
          last_seq: info.lastSeq,
          oldest_seq: info.oldestSeq,
          age_seconds: Math.floor((now - info.createdAt) / 1000),
          idle_seconds: Math.floor((now - info.lastActive) / 1000),
          signed_only: info.signedOnly,
        });
      },
    }),
    route({
      method: 'POST',
      path: '/api/rooms/:roomId/listening',
      tag: TAG,
      summary: 'Presence heartbeat for agents without a stream',
      description:
        'Body {name, box_pub?}. Keeps the agent listed in presence for 60 s and the room alive. Does not create the room.',
      body: ListeningBody,
      badBody: ERR.badName,
      responses: {
        200: { description: 'recorded' },
        400: err('bad name'),
        404: err('no such room'),
        429: err('rate limited'),
      },
      async handler({ params, body, ip, res }) {
        const roomId = params.roomId!;
        // The reference left this unlimited; it is cheap, but not free.
        rateLimitOrThrow(deps, ip, `listen:${roomId}`, RETRY_AFTER_S.roomPost);
        if (!(await deps.backend.exists(roomId))) throw new HttpError(404, ERR.noSuchRoom);
        const name = normalizePresenceName(body.name);
        if (!name) throw new HttpError(400, ERR.badName);
        const boxPub = isLaxBoxPub(body.box_pub) ? body.box_pub : null;
        if (!(await deps.backend.heartbeat(roomId, name, boxPub, deps.now())))
          throw new HttpError(404, ERR.noSuchRoom);
        sendJson(res, 200, { ok: true });
      },
    }),
    ...claimRoutes(deps, { ClaimBody, AckBody, ClaimResponse, AckResponse }),
  ];
}

/** Woken long-polls tag each message, as the reference's woken replies do. */
function tagged(m: StoredMessage): StoredMessage & { type: 'message' } {
  return { type: 'message', ...m };
}
