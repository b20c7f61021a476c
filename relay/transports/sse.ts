/**
 * Server-Sent Events (reference-relay.md §2.2): `data:`-only frames, replay then `ready` then
 * `presence`, and a `: keepalive` comment every 15 s, which is also how dead sockets surface.
 */
import type { ServerResponse } from 'node:http';
import {
  ERR,
  RETRY_AFTER_S,
  isLaxBoxPub,
  normalizePresenceName,
  type ErrorFrame,
} from '../../protocol/index.js';
import type { RelayDeps } from '../deps.js';
import { HttpError, SECURITY_HEADERS } from '../http/respond.js';
import { intParam, route, type RouteDef } from '../http/router.js';
import type { Subscriber } from '../rooms/subscriber.js';
import type { StreamRegistry } from './streams.js';

export function sseRoutes(deps: RelayDeps, streams: StreamRegistry): RouteDef[] {
  return [
    route({
      method: 'GET',
      path: '/api/rooms/:roomId/events',
      tag: 'Rooms',
      summary: 'Server-Sent Events stream of the room',
      description:
        'Replays retained messages newer than `after`, then sends `ready` (with last_seq, and gap/oldest_seq when `after` is older than the retained buffer), then live `message`, `presence`, `locked` and `rename` frames. Each frame is one `data:` line of JSON. Resume with ?after=<last seq seen>.',
      query: [
        { name: 'after', description: 'resume after this seq', schema: { type: 'integer', default: 0 } },
        {
          name: 'name',
          description: 'presence name (1–64 characters, no spaces)',
          schema: { type: 'string' },
        },
        {
          name: 'box_pub',
          description: 'X25519 public key (base64url) for adopt offers',
          schema: { type: 'string' },
        },
      ],
      responses: {
        200: { description: 'text/event-stream', contentType: 'text/event-stream' },
        400: { description: 'bad roomId' },
        429: { description: 'too many concurrent streams from this IP' },
      },
      raw: true,
      async handler({ req, res, params, query, ip }) {
        const roomId = params.roomId!;
        if (!streams.acquire(ip)) throw new HttpError(429, ERR.tooManyStreams, RETRY_AFTER_S.streamCap);
        res.writeHead(200, {
          ...SECURITY_HEADERS,
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-cache, no-transform',
          Connection: 'keep-alive',
          'X-Accel-Buffering': 'no',
        });
        res.flushHeaders();
        req.socket.setNoDelay(true);
        const limit = deps.config.limits.slowConsumerBytes;
        const graceMs = deps.config.limits.streamEndGraceMs;
        let closed = false;
        const sub: Subscriber = {
          transport: 'sse',
          ip,
          name: normalizePresenceName(query.get('name')),
          boxPub: isLaxBoxPub(query.get('box_pub')) ? query.get('box_pub') : null,
          client: null,
          lastSeen: deps.now(),
          pending: null,
          send(frame) {
            if (closed) return;
            res.write(frame.sse);
            // A consumer that cannot keep up is cut loose rather than buffered without bound; it
            // reconnects with ?after= and loses nothing.
            if (res.writableLength > limit) sub.close('slow consumer');
          },
          close() {
            if (closed) return;
            closed = true;
            endSoon(res, graceMs);
          },
        };
        let joined = false;
        const cleanup = () => {
          closed = true;
          streams.release(ip, sub);
          if (joined) deps.hub.leave(roomId, sub);
        };
        res.on('close', cleanup);
        // A write racing the socket's end must not become an uncaught 'error' event.
        res.on('error', () => undefined);
        streams.trackSse(sub, res);
        const after = Math.max(0, intParam(query, 'after', 0));
        const r = await deps.hub.join(roomId, sub, after);
        joined = r.ok;
        if (!r.ok) {
          res.write(`data: ${JSON.stringify({ type: 'error', error: r.error } satisfies ErrorFrame)}\n\n`);
          closed = true;
          endSoon(res, graceMs);
          return;
        }
        if (closed) deps.hub.leave(roomId, sub);
      },
    }),
  ];
}

/**
 * End the answer, and cut the socket off if the end is not flushed in time: a client that never
 * reads would otherwise keep its socket and everything queued on it.
 */
function endSoon(res: ServerResponse, graceMs: number): void {
  res.end();
  if (res.writableFinished) return;
  const timer = setTimeout(() => res.destroy(), graceMs);
  timer.unref();
  res.once('close', () => clearTimeout(timer));
}
