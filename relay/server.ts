/**
 * createRelay(config): the HTTP server, WebSocket upgrades, routes and janitor, with no side
 * effects on import. main.ts reads the environment and calls this; tests call it directly.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ERR } from '../protocol/index.js';
import type { RelayConfig } from './config.js';
import type { RelayDeps } from './deps.js';
import { repoRoot } from './repoRoot.js';
import { AccessLog } from './http/accessLog.js';
import { clientIp, compileTrust } from './http/clientIp.js';
import { ConnectionCap, endAndClose, guardRequest, guardUpgrade } from './http/edge.js';
import { LargeAnswers } from './http/largeAnswer.js';
import { OriginPolicy } from './http/origin.js';
import { rawJsonError, sendError } from './http/respond.js';
import { Router } from './http/router.js';
import { PushService } from './push/sender.js';
import { pushRoutes } from './routes/push.js';
import { StaticFiles } from './http/static.js';
import { NonceCache } from './identity/nonceCache.js';
import { NativeVerifier } from './identity/nativeSig.js';
import { ownerCheck } from './identity/ownerAuth.js';
import { IdentityRegistry } from './identity/registry.js';
import { SigFailureBudget } from './identity/sigFailureBudget.js';
import { Counter, RateLimiter, refillMs } from './limits/rateLimit.js';
import { RouteBuckets } from './limits/routeBuckets.js';
import { startMetrics } from './metrics/setup.js';
import { createStores } from './rooms/createBackend.js';
import { Hub } from './rooms/hub.js';
import { blobLimits, createBlobStore } from './blobs/createBlobStore.js';
import type { BlobStore } from './blobs/types.js';
import { agentRoutes } from './routes/agents.js';
import { blobRoutes } from './routes/blobs.js';
import { dmRoutes } from './routes/dm.js';
import { docsRoutes } from './routes/docs.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { hashSourcesOnce, sourceRoutes } from './routes/source.js';
import { identityRoutes } from './routes/identity.js';
import { supportRoutes } from './routes/support.js';
import { roomRoutes } from './routes/rooms.js';
import { sseRoutes } from './transports/sse.js';
import { StreamRegistry } from './transports/streams.js';
import { WsTransport } from './transports/ws.js';

export interface Relay {
  readonly server: Server;
  readonly deps: RelayDeps;
  readonly router: Router;
  /** Attachment ciphertext (relay/blobs). */
  readonly blobs: BlobStore;
  /** Message lists being streamed (`/transcript`, `/wait`). */
  readonly answers: LargeAnswers;
  /** The separate metrics listener's URL once listening (METRICS_PORT), else ''. */
  metricsUrl: string;
  /** http://host:port once listening. */
  url: string;
  port: number;
  listen(): Promise<void>;
  close(): Promise<void>;
}

export interface RelayOptions {
  /**
   * The wall clock. Tests pass one they can move forward to reach lease expiry or TTLs without
   * sleeping; everything time-based in the relay reads it.
   */
  clock?: () => number;
}

export async function createRelay(config: RelayConfig, options: RelayOptions = {}): Promise<Relay> {
  const stores = await createStores(config);
  const { backend, inboxes, rate } = stores;
  const now = options.clock ?? (() => Date.now());
  const hub = new Hub(backend, now, config.limits.renameIntervalMs);
  // Attachment ciphertext lives no longer than its room.
  const blobs = await createBlobStore(config);
  hub.onEvicted = (roomId) => void blobs.dropRoom(roomId).catch(() => undefined);
  const nonces = new NonceCache(config.limits.nonceCacheMaxEntries);
  const sigFailures = new SigFailureBudget(config.limits.sigFailureBurst, config.limits.sigFailureRefillPerS);
  const deps: RelayDeps = {
    config,
    backend,
    hub,
    identities: new IdentityRegistry(
      nonces,
      inboxes,
      sigFailures,
      new NativeVerifier(config.limits.sigKeyCacheMax),
    ),
    rate,
    waitersPerIp: new Counter(),
    now,
  };
  const bucketIdleMs = refillMs(rate.specs);
  const limits = config.limits;
  const ipRule = compileTrust(config.trustProxy, config.trustCfConnectingIp);
  // Every request and upgrade takes a token per client address, whatever its route; this node's
  // own, beside the actions' buckets (which a cluster shares).
  const requestSpec = { capacity: limits.requestBucketCapacity, refillPerS: limits.requestBucketRefillPerS };
  const requests = new RateLimiter({ action: requestSpec, global: requestSpec });
  const answers = new LargeAnswers(limits, now);
  const routeBuckets = new RouteBuckets(limits);
  const requestIdleMs = refillMs(requests.specs);
  const origins = new OriginPolicy(config);
  const conns = new ConnectionCap(limits.connectionsPerIp, ipRule);
  const streams = new StreamRegistry(config.limits);
  const router = new Router(
    config.limits.bodyBytes,
    limits.bodyIdleTimeoutMs,
    (bucket, ip) => routeBuckets.take(bucket, ip, now()),
    ownerCheck(deps),
  );
  // Identities and profiles from DATA_DIR, then those the cluster knows, before the first request.
  deps.identities.open(config.dataDir, now());
  await stores.shareIdentities(deps.identities);
  const metrics = startMetrics(config, deps, router, streams);
  // The node that accepts a post or a DM sends its pushes (rooms/post.ts, dm/send.ts).
  const push = config.push ? new PushService(config.push, stores.pushStore(config.push), now) : null;
  deps.push = push;
  router.add(
    ...roomRoutes(deps, answers),
    ...blobRoutes(deps, blobs, blobLimits(config)),
    ...sseRoutes(deps, streams),
    ...identityRoutes(deps),
    ...dmRoutes(deps),
    ...agentRoutes(deps),
    ...supportRoutes(deps),
    ...healthRoutes(deps, () => streams.count),
    ...metricsRoutes(metrics?.metrics ?? null, config.metricsToken),
    ...sourceRoutes(deps, hashSourcesOnce(repoRoot(), config.webDir)),
    ...pushRoutes(deps, push),
  );
  router.add(...docsRoutes(deps, router));
  const staticFiles = config.webDir ? new StaticFiles(config.webDir) : null;
  const ws = new WsTransport(deps, streams);
  const accessLog = config.accessLog ? new AccessLog() : null;

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    if (conns.refused(req.socket)) return void res.destroy();
    const ip = clientIp(req, ipRule);
    if (!requests.take(now(), ip, 'request', false)) {
      req.resume();
      accessLog?.line(req.method ?? 'GET', '(rate limited)');
      return sendError(res, 429, ERR.rateLimited, undefined, 1);
    }
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q === -1 ? raw : raw.slice(0, q);
    const method = req.method ?? 'GET';
    const matched = router.match(method, path);
    if (matched !== null && matched !== 405) {
      // The access log names the route pattern: never a room id, handle, query or body.
      accessLog?.line(method, matched.route.path);
      if (metrics && !matched.route.raw) metrics.metrics.track(res, method, matched.route.path);
      router.dispatch(matched, req, res, q === -1 ? '' : raw.slice(q + 1), raw, ip);
      return;
    }
    accessLog?.line(method, matched === 405 ? '(method not allowed)' : '(unmatched)');
    if (matched === 405) {
      metrics?.metrics.reject('http', 405, ERR.methodNotAllowed);
      return sendError(res, 405, ERR.methodNotAllowed);
    }
    if (
      (method === 'GET' || method === 'HEAD') &&
      !path.startsWith('/api/') &&
      staticFiles?.serve(req, res, path)
    )
      return;
    metrics?.metrics.reject('http', 404, ERR.notFound);
    sendError(res, 404, ERR.notFound);
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (conns.refused(req.socket)) return void socket.destroy();
    const ip = clientIp(req, ipRule);
    if (!requests.take(now(), ip, 'request', false))
      return endAndClose(socket, rawJsonError(429, ERR.rateLimited, 1));
    ws.handleUpgrade(req, socket, head, ip, origins.allows(req.headers.origin));
  };

  // requestTimeout bounds receiving a whole request (a parked long-poll has been received by
  // then); the timers are checked every few seconds rather than Node's default 30.
  const server = createServer(
    {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs || Infinity),
      keepAliveTimeout: 120_000,
      connectionsCheckingInterval: 2_000,
    },
    guardRequest(onRequest),
  );
  server.prependListener('connection', (socket: Socket) => conns.admit(socket));
  server.on('upgrade', guardUpgrade(onUpgrade));
  server.on('clientError', (e: NodeJS.ErrnoException, socket) => {
    endAndClose(
      socket,
      e.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? rawJsonError(408, 'request timeout')
        : rawJsonError(400, 'malformed request'),
    );
  });

  const janitor = setInterval(() => {
    const t = now();
    void backend.janitor(t);
    // Buckets that have refilled are dropped at once: kept for minutes, every client's bucket in
    // every room it posted to stayed on the heap for each GC to trace.
    deps.rate.sweep(t, bucketIdleMs);
    requests.sweep(t, requestIdleMs);
    routeBuckets.sweep(t);
    deps.identities.sweep(t);
    void blobs.sweep(t).catch(() => undefined);
  }, config.limits.janitorIntervalMs);
  janitor.unref();

  const relay: Relay = {
    server,
    deps,
    router,
    blobs,
    answers,
    metricsUrl: '',
    url: '',
    port: 0,
    listen: () =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          const addr = server.address() as AddressInfo;
          relay.port = addr.port;
          const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
          relay.url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${addr.port}`;
          resolve();
        });
      }).then(async () => {
        relay.metricsUrl = (await metrics?.listen()) ?? '';
      }),
    async close() {
      clearInterval(janitor);
      streams.close();
      ws.close();
      hub.closeAll();
      deps.identities.flush();
      accessLog?.flush();
      await metrics?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await backend.close();
      await blobs.close();
    },
  };
  return relay;
}
