import { z } from 'zod';
import type { RelayDeps } from '../deps.js';
import { sendJson } from '../http/respond.js';
import { route, type RouteDef } from '../http/router.js';

const Health = z
  .object({ ok: z.literal(true), rooms: z.number().int(), streams: z.number().int(), ts: z.number().int() })
  .meta({ id: 'Health' });

export function healthRoutes(deps: RelayDeps, streamCount: () => number): RouteDef[] {
  return [
    route({
      method: 'GET',
      path: '/api/health',
      tag: 'Operations',
      summary: 'Liveness and room count',
      responses: { 200: { description: 'up', schema: Health } },
      async handler({ res }) {
        sendJson(res, 200, {
          ok: true,
          rooms: await deps.backend.roomCount(),
          streams: streamCount(),
          ts: deps.now(),
        });
      },
    }),
  ];
}
