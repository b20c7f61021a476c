/**
 * `GET /metrics` on the public port: registered only when METRICS_TOKEN is set, and answered only
 * with that bearer token. Without a token the path is unknown (404), like any other.
 */
import { ErrorBodySchema } from '../../protocol/index.js';
import { HttpError, sendText } from '../http/respond.js';
import { route, type RouteDef } from '../http/router.js';
import { bearerOk, type RelayMetrics } from '../metrics/metrics.js';

export function metricsRoutes(metrics: RelayMetrics | null, token: string | null): RouteDef[] {
  if (metrics === null || token === null) return [];
  return [
    route({
      method: 'GET',
      path: '/metrics',
      tag: 'Operations',
      summary: 'Prometheus metrics (aggregate only), with the operator’s bearer token',
      hidden: true,
      responses: {
        200: { description: 'Prometheus text format', contentType: 'text/plain' },
        401: { description: 'no or wrong token', schema: ErrorBodySchema },
      },
      async handler({ req, res }) {
        if (!bearerOk(req, token)) throw new HttpError(401, 'metrics: bearer token required');
        const out = await metrics.render();
        sendText(res, 200, out.contentType, out.text);
      },
    }),
  ];
}
