/**
 * Relay configuration: every knob with its default, read once from the environment. Abuse
 * limits default to the reference's numbers (protocol LIMITS) and can be tuned per deployment.
 */
import { LIMITS } from '../protocol/index.js';

export type TrustProxy = 'none' | 'loopback' | 'all';

export interface RelayLimits {
  streamsPerIp: number;
  waitersPerIp: number;
  waitersPerRoom: number;
  roomsMax: number;
  identitiesMax: number;
  roomBufferBytesMax: number;
  dmBufferBytesMax: number;
  roomGraceMs: number;
  janitorIntervalMs: number;
  rateBucketCapacity: number;
  rateBucketRefillPerS: number;
  globalBucketCapacity: number;
  globalBucketRefillPerS: number;
  bodyBytes: number;
  wsFrameBytes: number;
  /** A WebSocket whose unsent backlog passes this is closed; it resumes with `after=`. */
  slowConsumerBytes: number;
  /** Cap on total open streams (SSE + WS) across all clients: a guard the reference lacked. */
  streamsMax: number;
  /** Heartbeat entries kept per room (the reference had no cap). */
  heartbeatsPerRoom: number;
  /** Per-socket budgets of inbound WebSocket frames, by kind (transports/frameBudget.ts). */
  wsHelloCap: number;
  wsHelloRefillPerS: number;
  wsListeningCap: number;
  wsListeningRefillPerS: number;
  wsPostCap: number;
  wsPostRefillPerS: number;
  wsInvalidCap: number;
  wsInvalidRefillPerS: number;
  /** Frames over budget a socket may send (refilling at 1/s) before it is closed with 1008. */
  wsStrikes: number;
  /** One member's rename and presence broadcasts go out at most once per this interval. */
  renameIntervalMs: number;
}

export interface RelayConfig {
  port: number;
  host: string;
  /** Which peers may set X-Forwarded-For / CF-Connecting-IP. Default: nobody. */
  trustProxy: TrustProxy;
  /** Where public keys and profiles persist; null keeps them in memory only. */
  dataDir: string | null;
  /** The built web app to serve at `/`; null serves only the API. */
  webDir: string | null;
  /** Operator-visible bug reports go to this JSONL file (in addition to a stderr line). */
  reportsFile: string | null;
  identityAdminToken: string | null;
  /** Access log: method and route pattern only, never ids, queries or bodies. */
  accessLog: boolean;
  /** Public base URL, used in docs and llms.txt; defaults to the request's own origin. */
  publicBaseUrl: string | null;
  redisUrl: string | null;
  /** Prometheus metrics: `/metrics` on the public port needs this bearer token; unset, it is 404. */
  metricsToken: string | null;
  /** A separate listener for `/metrics` only (null: none), on metricsHost (loopback by default). */
  metricsPort: number | null;
  metricsHost: string;
  /** Where the relay's code can be fetched and which commit it is, shown on `/source`. */
  sourceRepoUrl: string | null;
  sourceCommit: string | null;
  limits: RelayLimits;
}

export function defaultLimits(): RelayLimits {
  return {
    streamsPerIp: LIMITS.streamsPerIp,
    waitersPerIp: LIMITS.waitersPerIp,
    waitersPerRoom: LIMITS.waitersPerRoom,
    roomsMax: LIMITS.roomsMax,
    identitiesMax: LIMITS.identitiesMax,
    roomBufferBytesMax: LIMITS.roomBufferBytesMax,
    dmBufferBytesMax: LIMITS.dmBufferBytesMax,
    roomGraceMs: LIMITS.roomGraceMs,
    janitorIntervalMs: LIMITS.janitorIntervalMs,
    rateBucketCapacity: LIMITS.rateBucketCapacity,
    rateBucketRefillPerS: LIMITS.rateBucketRefillPerS,
    globalBucketCapacity: LIMITS.globalBucketCapacity,
    globalBucketRefillPerS: LIMITS.globalBucketRefillPerS,
    bodyBytes: LIMITS.bodyBytes,
    wsFrameBytes: LIMITS.wsFrameBytes,
    slowConsumerBytes: 4 * 1024 * 1024,
    streamsMax: 100_000,
    heartbeatsPerRoom: 256,
    wsHelloCap: 30,
    wsHelloRefillPerS: 1,
    wsListeningCap: 30,
    wsListeningRefillPerS: 1,
    wsPostCap: LIMITS.rateBucketCapacity,
    wsPostRefillPerS: LIMITS.rateBucketRefillPerS,
    wsInvalidCap: 30,
    wsInvalidRefillPerS: 1,
    wsStrikes: 50,
    renameIntervalMs: 1000,
  };
}

export function defaultConfig(overrides: Partial<Omit<RelayConfig, 'limits'>> & { limits?: Partial<RelayLimits> } = {}): RelayConfig {
  const { limits, ...rest } = overrides;
  return {
    port: 3000,
    host: '127.0.0.1',
    trustProxy: 'none',
    dataDir: null,
    webDir: null,
    reportsFile: null,
    identityAdminToken: null,
    accessLog: false,
    publicBaseUrl: null,
    redisUrl: null,
    metricsToken: null,
    metricsPort: null,
    metricsHost: '127.0.0.1',
    sourceRepoUrl: null,
    sourceCommit: null,
    ...rest,
    limits: withPostBudget({ ...defaultLimits(), ...limits }, limits),
  };
}

/** A socket's post budget follows the per-(IP, room) post bucket unless it is set on its own. */
function withPostBudget(merged: RelayLimits, given: Partial<RelayLimits> | undefined): RelayLimits {
  if (given?.wsPostCap === undefined) merged.wsPostCap = merged.rateBucketCapacity;
  if (given?.wsPostRefillPerS === undefined) merged.wsPostRefillPerS = merged.rateBucketRefillPerS;
  return merged;
}

const ENV_LIMITS: Record<string, keyof RelayLimits> = {
  STREAM_CAP_PER_IP: 'streamsPerIp',
  WAITER_CAP_PER_IP: 'waitersPerIp',
  ROOM_WAITERS_MAX: 'waitersPerRoom',
  ROOMS_MAX: 'roomsMax',
  IDENTITIES_MAX: 'identitiesMax',
  ROOM_GLOBAL_MAX_BYTES: 'roomBufferBytesMax',
  DM_GLOBAL_MAX_BYTES: 'dmBufferBytesMax',
  ROOM_GRACE_MS: 'roomGraceMs',
  JANITOR_INTERVAL_MS: 'janitorIntervalMs',
  ROOM_RL_CAP: 'rateBucketCapacity',
  ROOM_RL_REFILL_PER_SEC: 'rateBucketRefillPerS',
  GLOBAL_RL_CAP: 'globalBucketCapacity',
  GLOBAL_RL_REFILL_PER_SEC: 'globalBucketRefillPerS',
  SLOW_CONSUMER_BYTES: 'slowConsumerBytes',
  STREAMS_MAX: 'streamsMax',
  WS_HELLO_CAP: 'wsHelloCap',
  WS_HELLO_REFILL_PER_SEC: 'wsHelloRefillPerS',
  WS_LISTENING_CAP: 'wsListeningCap',
  WS_LISTENING_REFILL_PER_SEC: 'wsListeningRefillPerS',
  WS_POST_CAP: 'wsPostCap',
  WS_POST_REFILL_PER_SEC: 'wsPostRefillPerS',
  WS_INVALID_CAP: 'wsInvalidCap',
  WS_INVALID_REFILL_PER_SEC: 'wsInvalidRefillPerS',
  WS_STRIKES: 'wsStrikes',
  RENAME_INTERVAL_MS: 'renameIntervalMs',
};

/** Documented in the README's configuration table; unknown values fail loudly at start. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): RelayConfig {
  const limits: Partial<RelayLimits> = {};
  for (const [name, key] of Object.entries(ENV_LIMITS)) {
    const v = env[name];
    if (v === undefined || v === '') continue;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${v}"`);
    limits[key] = n;
  }
  const trust = (env.TRUST_PROXY ?? 'none') as TrustProxy;
  if (!['none', 'loopback', 'all'].includes(trust)) throw new Error(`TRUST_PROXY must be none, loopback or all, got "${trust}"`);
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  const metricsPort = env.METRICS_PORT ? Number(env.METRICS_PORT) : null;
  if (metricsPort !== null && (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535)) throw new Error(`METRICS_PORT must be a port number, got "${env.METRICS_PORT}"`);
  const sourceCommit = env.SOURCE_COMMIT || null;
  if (sourceCommit !== null && !/^[0-9a-f]{7,64}$/.test(sourceCommit)) throw new Error(`SOURCE_COMMIT must be a git commit id (hex), got "${sourceCommit}"`);
  return defaultConfig({
    port,
    host: env.HOST || '127.0.0.1',
    trustProxy: trust,
    dataDir: env.DATA_DIR || null,
    webDir: env.WEB_DIR ?? null,
    reportsFile: env.REPORTS_FILE || null,
    identityAdminToken: env.IDENTITY_ADMIN_TOKEN || null,
    accessLog: env.ACCESS_LOG !== '0',
    publicBaseUrl: env.PUBLIC_BASE_URL || null,
    redisUrl: env.REDIS_URL || null,
    metricsToken: env.METRICS_TOKEN || null,
    metricsPort,
    metricsHost: env.METRICS_HOST || '127.0.0.1',
    sourceRepoUrl: env.SOURCE_REPO_URL || null,
    sourceCommit,
    limits,
  });
}
