/**
 * Every number the wire protocol fixes, in one place. Relay checks, client pre-checks, the
 * OpenAPI document and the docs all read these, so a limit is never written twice.
 * Values follow the reference relay (reference-relay.md §6); the relay lets operators override
 * the abuse-control ones through its config.
 */
export const LIMITS = {
  /** JSON request body cap (bytes). */
  bodyBytes: 192 * 1024,
  /** WebSocket frame cap (bytes). */
  wsFrameBytes: 256 * 1024,
  /** Room ciphertext: max base64 characters and max decoded bytes. */
  ciphertextChars: 131_072,
  /** DM ciphertext: max decoded bytes. */
  dmCiphertextBytes: 131_072,
  nonceBytes: 24,
  nonceMaxChars: 64,
  keyBytes: 32,
  signatureBytes: 64,
  senderMaxChars: 64,
  presenceNameMaxChars: 64,
  /** A composer-side plaintext cap that keeps the sealed message under `ciphertextChars`. */
  plaintextBytes: 60 * 1024,

  ttlMinMs: 30_000,
  ttlMaxMs: 31_622_400_000,

  replayMaxMessages: 2000,
  replayMaxAgeMs: 24 * 60 * 60 * 1000,
  roomGraceMs: 30_000,
  janitorIntervalMs: 15_000,
  roomsMax: 5000,
  roomBufferBytesMax: 512 * 1024 * 1024,
  /** Bytes a buffered message is charged on top of its ciphertext length. */
  messageOverheadBytes: 512,

  waitTimeoutDefaultS: 30,
  waitTimeoutMinS: 1,
  waitTimeoutMaxS: 90,
  waitMaxMessages: 500,
  transcriptLimitDefault: 100,
  transcriptLimitMax: 500,

  claimLeaseDefaultMs: 60_000,
  claimLeaseMinMs: 60_000,
  claimLeaseMaxMs: 300_000,
  cursorRoomsPerHandle: 64,
  excludeSenderMaxChars: 64,

  heartbeatFreshMs: 60_000,
  sseKeepaliveMs: 15_000,
  wsListeningIntervalMs: 15_000,

  sigMaxSkewMs: 60_000,
  profileMaxSkewMs: 5 * 60_000,
  nonceCacheTtlMs: 120_000,
  nonceCacheGlobalMax: 10_000,
  dmEnvelopeCacheMax: 20_000,

  identitiesMax: 100_000,
  identityGcInactiveMs: 180 * 24 * 60 * 60 * 1000,
  bioMaxChars: 280,

  dmTtlMs: 7 * 24 * 60 * 60 * 1000,
  dmInboxMax: 256,
  dmInboxAnonMax: 32,
  dmWaitBatch: 50,
  dmWaitersPerHandle: 64,
  dmBufferBytesMax: 512 * 1024 * 1024,

  streamsPerIp: 32,
  waitersPerIp: 16,
  waitersPerRoom: 256,

  rateBucketCapacity: 300,
  rateBucketRefillPerS: 100,
  globalBucketCapacity: 600,
  globalBucketRefillPerS: 200,

  profileMaxBytes: 8192,
  profileDefaultTtlMs: 7 * 24 * 60 * 60 * 1000,
  profileMinTtlMs: 60_000,
  profileListMax: 32,
  profileTokenMaxChars: 40,
  directoryLimitDefault: 50,
  directoryLimitMax: 100,
  matchesLimitDefault: 20,
  matchesLimitMax: 50,

  reportWhatMin: 5,
  reportWhatMax: 4000,
  reportWhereMax: 500,
  reportReproMax: 4000,
  reportContextMax: 2000,
  reportContactMax: 200,

  contactNameMax: 200,
  contactEmailMax: 200,
  contactMessageMin: 3,
  contactMessageMax: 4000,

  /** Room ids minted by browsers (10) and by the MCP server (6). */
  mintedRoomIdLength: 10,
  mcpRoomIdLength: 6,
} as const;

/** Retry-After values (seconds) the reference sends with each kind of refusal. */
export const RETRY_AFTER_S = {
  roomPost: 1,
  dmSend: 1,
  authRoute: 5,
  register: 5,
  profile: 5,
  report: 10,
  contact: 10,
  streamCap: 5,
  waiterCap: 5,
  roomCap: 60,
  byteFuse: 60,
  identityCap: 3600,
  roomQuota: 30,
  bufferQuota: 60,
  identityQuota: 3600,
} as const;
