/**
 * Turns metrics on when the operator asked for them (METRICS_TOKEN and/or METRICS_PORT) and
 * wires the relay's parts in as sources; otherwise nothing is created and hot paths see null.
 */
import type { RelayConfig } from '../config.js';
import type { RelayDeps } from '../deps.js';
import type { Router } from '../http/router.js';
import type { StreamRegistry } from '../transports/streams.js';
import { MetricsListener } from './listener.js';
import { RelayMetrics } from './metrics.js';

export interface MetricsHandle {
  metrics: RelayMetrics;
  /** Starts the separate listener if one is configured; its URL, or ''. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export function startMetrics(
  config: RelayConfig,
  deps: RelayDeps,
  router: Router,
  streams: StreamRegistry,
): MetricsHandle | null {
  if (config.metricsToken === null && config.metricsPort === null) return null;
  const metrics = new RelayMetrics({
    rooms: () => deps.backend.roomCount(),
    streams: () => ({ sse: streams.sseCount, ws: streams.count - streams.sseCount }),
    waiters: () => deps.hub.waiterTotal(),
    deliveries: () => deps.hub.delivered,
  });
  deps.metrics = metrics;
  router.onReject = (status, error) => metrics.reject('http', status, error);
  const listener = config.metricsPort === null ? null : new MetricsListener(metrics, config.metricsToken);
  return {
    metrics,
    async listen() {
      if (listener === null || config.metricsPort === null) return '';
      await listener.listen(config.metricsPort, config.metricsHost);
      return listener.url;
    },
    async close() {
      metrics.close();
      await listener?.close();
    },
  };
}
