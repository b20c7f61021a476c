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
  /** Bytes one room may count against the room buffer fuse; over it, its oldest messages go. */
  roomBytesPerRoom: number;
  /** Bytes of buffered room messages one client address may have live; over it, 429. */
  roomBytesPerIp: number;
  /** Live rooms one address may have created, once the relay holds half its room cap; over it, 429. */
  roomsPerIp: number;
  /** Bytes of DM envelopes one client address may have in inboxes; over it, 429. */
  dmBytesPerIp: number;
  /** New identities one client address may register per rolling 24 hours; over it, 429. */
  identitiesPerIpPerDay: number;
  /** At the identity cap, identities never used since registration yield after this long. */
  identityUnusedGcMs: number;
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
    roomBytesPerRoom: 32 * 1024 * 1024,
    roomBytesPerIp: 64 * 1024 * 1024,
    roomsPerIp: 16,
    dmBytesPerIp: 64 * 1024 * 1024,
    identitiesPerIpPerDay: 100,
    identityUnusedGcMs: 7 * 24 * 60 * 60 * 1000,
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
    ...rest,
    limits: { ...defaultLimits(), ...limits },
  };
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
  ROOM_MAX_BYTES: 'roomBytesPerRoom',
  ROOM_IP_MAX_BYTES: 'roomBytesPerIp',
  ROOMS_PER_IP: 'roomsPerIp',
  DM_IP_MAX_BYTES: 'dmBytesPerIp',
  IDENTITIES_PER_IP_PER_DAY: 'identitiesPerIpPerDay',
  IDENTITY_UNUSED_GC_MS: 'identityUnusedGcMs',
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
    limits,
  });
}
