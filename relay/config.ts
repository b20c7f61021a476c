/**
 * Relay configuration: every knob with its default, read once from the environment. Abuse
 * limits default to the reference's numbers (protocol LIMITS) and can be tuned per deployment.
 */
import { pushConfigFromEnv, type PushConfig } from './push/config.js';
import { LIMITS } from '../protocol/index.js';
import { compileTrust } from './http/clientIp.js';

/** `none`, `loopback`, `all` (anyone: one hop), or addresses and CIDR ranges, comma-separated. */
export type TrustProxy = string;

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
  /** SSE keepalive comments go out this often; they also surface dead sockets. */
  sseKeepaliveMs: number;
  /** A stream ended as a slow consumer whose end is still not flushed this much later is cut off. */
  streamEndGraceMs: number;
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
  /** Open TCP connections per client address (trusted proxies are exempt). */
  connectionsPerIp: number;
  /** Time to receive a request's headers, and its whole request (headers and body). */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** A request body that sends nothing for this long is answered 408 and closed. */
  bodyIdleTimeoutMs: number;
  /** Requests of any kind per client address: a bucket every route and upgrade takes from. */
  requestBucketCapacity: number;
  requestBucketRefillPerS: number;
  /** `/transcript` requests per client address, on their own smaller bucket. */
  transcriptBucketCapacity: number;
  transcriptBucketRefillPerS: number;
  /** Directory searches (`/api/agents`, matches, the directory documents) per client address. */
  directoryBucketCapacity: number;
  directoryBucketRefillPerS: number;
  /** Message lists (transcript, wait) being streamed to one address at once. */
  largeAnswersPerIp: number;
  /** Message lists being streamed at once over all addresses; at it, the longest-stalled one goes. */
  largeAnswersMax: number;
  /** A streamed answer whose reader takes nothing for this long is cut off. */
  answerStallMs: number;
  /** Room-post and owner-request nonces kept for replay checks; past it the oldest go first. */
  nonceCacheMaxEntries: number;
  /** Failed signature checks one address may make in a burst before 429; 0 turns it off. */
  sigFailureBurst: number;
  sigFailureRefillPerS: number;
  /** Parsed Ed25519 public keys kept, least recently used evicted. */
  sigKeyCacheMax: number;
  /** Encrypted attachments (relay/blobs): one file's plaintext bytes, and what all blobs may hold. */
  blobMaxBytes: number;
  blobRoomMaxBytes: number;
  blobIpMaxBytes: number;
  blobGlobalMaxBytes: number;
  /** Longest a blob lives (never past the 24 h replay window its message lives in). */
  blobTtlMs: number;
  blobsPerRoomMax: number;
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
  /** Believe `CF-Connecting-IP`, and only from a trusted proxy. */
  trustCfConnectingIp: boolean;
  /**
   * Origins whose browser pages may open a WebSocket. null: the PUBLIC_BASE_URL origin if set,
   * else the loopback origins of the listening port. Agents (no Origin header) are always allowed.
   */
  allowedOrigins: string[] | null;
  /** Public base URL, used in docs and llms.txt; defaults to the request's own origin. */
  publicBaseUrl: string | null;
  redisUrl: string | null;
  /** REDIS_URL names seed nodes of one Redis Cluster rather than independent servers. */
  redisCluster: boolean;
  /** Prometheus metrics: `/metrics` on the public port needs this bearer token; unset, it is 404. */
  metricsToken: string | null;
  /** A separate listener for `/metrics` only (null: none), on metricsHost (loopback by default). */
  metricsPort: number | null;
  metricsHost: string;
  /** Where the relay's code can be fetched and which commit it is, shown on `/source`. */
  sourceRepoUrl: string | null;
  sourceCommit: string | null;
  /** Web Push (VAPID keys and its limits); null: off. */
  push: PushConfig | null;
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
    sseKeepaliveMs: LIMITS.sseKeepaliveMs,
    streamEndGraceMs: 5_000,
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
    connectionsPerIp: 256,
    headersTimeoutMs: 20_000,
    requestTimeoutMs: 60_000,
    bodyIdleTimeoutMs: 15_000,
    requestBucketCapacity: 1200,
    requestBucketRefillPerS: 400,
    transcriptBucketCapacity: 20,
    transcriptBucketRefillPerS: 2,
    directoryBucketCapacity: 60,
    directoryBucketRefillPerS: 5,
    largeAnswersPerIp: 4,
    largeAnswersMax: 32,
    answerStallMs: 30_000,
    nonceCacheMaxEntries: 100_000,
    sigFailureBurst: 30,
    sigFailureRefillPerS: 1,
    sigKeyCacheMax: LIMITS.identitiesMax,
    blobMaxBytes: 25 * 1024 * 1024,
    blobRoomMaxBytes: 100 * 1024 * 1024,
    blobIpMaxBytes: 100 * 1024 * 1024,
    blobGlobalMaxBytes: 256 * 1024 * 1024,
    blobTtlMs: LIMITS.replayMaxAgeMs,
    blobsPerRoomMax: 256,
    roomBytesPerRoom: 32 * 1024 * 1024,
    roomBytesPerIp: 64 * 1024 * 1024,
    roomsPerIp: 16,
    dmBytesPerIp: 64 * 1024 * 1024,
    identitiesPerIpPerDay: 100,
    identityUnusedGcMs: 7 * 24 * 60 * 60 * 1000,
  };
}

export function defaultConfig(
  overrides: Partial<Omit<RelayConfig, 'limits'>> & { limits?: Partial<RelayLimits> } = {},
): RelayConfig {
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
    trustCfConnectingIp: false,
    allowedOrigins: null,
    publicBaseUrl: null,
    redisUrl: null,
    redisCluster: false,
    metricsToken: null,
    metricsPort: null,
    metricsHost: '127.0.0.1',
    sourceRepoUrl: null,
    sourceCommit: null,
    push: null,
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
  CONN_CAP_PER_IP: 'connectionsPerIp',
  HEADERS_TIMEOUT_MS: 'headersTimeoutMs',
  REQUEST_TIMEOUT_MS: 'requestTimeoutMs',
  BODY_IDLE_TIMEOUT_MS: 'bodyIdleTimeoutMs',
  REQ_RL_CAP: 'requestBucketCapacity',
  REQ_RL_REFILL_PER_SEC: 'requestBucketRefillPerS',
  TRANSCRIPT_RL_CAP: 'transcriptBucketCapacity',
  TRANSCRIPT_RL_REFILL_PER_SEC: 'transcriptBucketRefillPerS',
  DIRECTORY_RL_CAP: 'directoryBucketCapacity',
  DIRECTORY_RL_REFILL_PER_SEC: 'directoryBucketRefillPerS',
  LARGE_ANSWERS_PER_IP: 'largeAnswersPerIp',
  LARGE_ANSWERS_MAX: 'largeAnswersMax',
  ANSWER_STALL_MS: 'answerStallMs',
  NONCE_CACHE_MAX_ENTRIES: 'nonceCacheMaxEntries',
  SIG_FAIL_BURST: 'sigFailureBurst',
  SIG_FAIL_REFILL_PER_SEC: 'sigFailureRefillPerS',
  SIG_KEY_CACHE_MAX: 'sigKeyCacheMax',
  BLOB_MAX_BYTES: 'blobMaxBytes',
  BLOB_ROOM_MAX_BYTES: 'blobRoomMaxBytes',
  BLOB_IP_MAX_BYTES: 'blobIpMaxBytes',
  BLOB_GLOBAL_MAX_BYTES: 'blobGlobalMaxBytes',
  BLOB_TTL_MS: 'blobTtlMs',
  BLOB_ROOM_MAX_COUNT: 'blobsPerRoomMax',
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
  const trust = env.TRUST_PROXY || 'none';
  try {
    compileTrust(trust);
  } catch {
    throw new Error(
      `TRUST_PROXY must be none, loopback, all, or addresses and CIDR ranges separated by commas, got "${trust}"`,
    );
  }
  const origins = env.ALLOWED_ORIGINS
    ? env.ALLOWED_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean)
    : null;
  for (const o of origins ?? [])
    if (!isOrigin(o))
      throw new Error(`ALLOWED_ORIGINS must list origins like https://example.org, got "${o}"`);
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a port number, got "${env.PORT}"`);
  const metricsPort = env.METRICS_PORT ? Number(env.METRICS_PORT) : null;
  if (metricsPort !== null && (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535))
    throw new Error(`METRICS_PORT must be a port number, got "${env.METRICS_PORT}"`);
  const sourceCommit = env.SOURCE_COMMIT || null;
  if (sourceCommit !== null && !/^[0-9a-f]{7,64}$/.test(sourceCommit))
    throw new Error(`SOURCE_COMMIT must be a git commit id (hex), got "${sourceCommit}"`);
  return defaultConfig({
    port,
    host: env.HOST || '127.0.0.1',
    trustProxy: trust,
    dataDir: env.DATA_DIR || null,
    webDir: env.WEB_DIR ?? null,
    reportsFile: env.REPORTS_FILE || null,
    identityAdminToken: env.IDENTITY_ADMIN_TOKEN || null,
    accessLog: env.ACCESS_LOG !== '0',
    trustCfConnectingIp: env.TRUST_CF_CONNECTING_IP === '1',
    allowedOrigins: origins,
    publicBaseUrl: env.PUBLIC_BASE_URL || null,
    redisUrl: env.REDIS_URL || null,
    redisCluster: env.REDIS_CLUSTER === '1',
    metricsToken: env.METRICS_TOKEN || null,
    metricsPort,
    metricsHost: env.METRICS_HOST || '127.0.0.1',
    sourceRepoUrl: env.SOURCE_REPO_URL || null,
    sourceCommit,
    push: pushConfigFromEnv(env),
    limits,
  });
}

/** `scheme://host[:port]` and nothing else: what a browser sends as Origin. */
function isOrigin(o: string): boolean {
  try {
    return new URL(o).origin === o;
  } catch {
    return false;
  }
}
