/**
 * The reference relay's error strings, byte for byte (reference-relay.md §2, §5, §7).
 * Clients mostly look at the status code, but drop-in parity means keeping the text too.
 */
export const ERR = {
  badRoomId: 'bad roomId',
  badMessage: 'bad message',
  rateLimited: 'rate limited',
  roomCap: 'room cap reached',
  roomBufferFull: 'global room buffer full — try again shortly',
  roomBufferFullWs: 'global room buffer full',
  badSenderSig: 'bad sender_sig',
  signedOnlyNeedsSig: 'signed_only requires sender_sig',
  signedOnlyLocked: 'signed_only: this room requires sender_sig from a registered @handle',
  signedOnlyLockedWs: 'signed_only',
  tooManyStreams: 'too many concurrent streams from this IP',
  tooManyRoomWaiters: 'too many concurrent waiters for this room',
  tooManyIpWaiters: 'too many concurrent waiters from this IP',
  tooManyHandleWaiters: 'too many concurrent waiters for this handle',
  noSuchRoom: 'no such room',
  badName: 'bad name',
  badHandle: 'bad handle',
  noSuchHandle: 'no such handle',
  badSignature: 'bad or missing signature',
  sigFailuresExhausted: 'too many failed signature checks from this address; retry after Retry-After seconds',
  staleClaim: 'stale or unknown claim',
  /** Ours: the Redis shard holding this room or inbox is unreachable (a cluster only). */
  storageUnavailable: 'storage unavailable — try again shortly',
  /** Ours: every slot for streamed message lists is taken by readers who are reading. */
  answersBusy: 'too many message lists being sent — try again shortly',
  /** An optimistic post (`expected_last_seq`) lost the race: this relay's own string. */
  roomMovedOn: 'room has moved on: last_seq differs from expected_last_seq',

  invalidHandleRegister: 'invalid handle (regex: ^[a-z0-9][a-z0-9_-]{1,31}$)',
  handleReserved: 'handle reserved',
  keysRequired: 'box_pub and sign_pub required (base64 32-byte keys)',
  keysNotCanonical: 'box_pub and sign_pub must be strict canonical base64 of 32 bytes',
  handleTaken: 'handle taken',
  identityCap: 'identity cap reached',
  registerSigRequired:
    'register_sig (base64 Ed25519) and register_ts (ms) required — sign "register <handle> <register_ts> <box_pub> <sign_pub>" with sign_sk',
  registerSigNotCanonical: 'register_sig must be strict canonical base64 of 64 bytes',
  registerSkew: 'register_ts skew too large',
  registerSigUsed: 'register_sig already used',
  registerSigBad:
    'bad register_sig — does not verify against sign_pub (sign "register <handle> <ts> <box_pub> <sign_pub>")',

  invalidHandle: 'invalid handle',
  dmFieldsRequired: 'ciphertext, nonce, sender_eph_pub required (all base64)',
  dmTooLarge: 'ciphertext too large',
  dmCiphertextNotCanonical: 'ciphertext must be strict canonical base64',
  dmNonceNotCanonical: 'nonce must be strict canonical base64 of 24 bytes',
  dmEphNotCanonical: 'sender_eph_pub must be strict canonical base64 of 32 bytes',
  dmFromSigNotCanonical: 'from_sig must be strict canonical base64 of 64 bytes',
  dmFromSkew: 'from_ts skew too large',
  dmFromNotRegistered: 'from_handle not registered',
  dmFromSigBad: 'bad from_handle signature',
  dmEnvelopeSeen: 'envelope already seen',
  dmReplayCacheFull: 'replay-cache full for this handle',
  dmBufferFull: 'global DM buffer full — try again shortly',

  identityNotRegistered: 'identity not registered',
  profileSigNotCanonical: 'profile_sig must be strict canonical base64 of 64 bytes',
  profileNotObject: 'profile must be an object',
  profileInvalidFramework: 'invalid framework',
  profileUpdatedAtRequired: 'updated_at required',
  profileSkew: 'updated_at skew too large',
  profileInvalidHomepage: 'invalid homepage_url',
  profileForbidden: 'profile contains forbidden private field/pattern: ',
  profileTooLarge: 'profile too large',
  profileStale: 'stale profile update',
  profileSigBad: 'bad profile signature',
  profileNotFound: 'profile not found',
  matchesHandleRequired: 'valid handle query required',

  reportWhatRequired: 'field "what" required (5–4000 chars)',
  contactMessageRequired: 'field "message" required (3–4000 chars)',
  contactEmailMalformed: 'email looks malformed',

  // Additions of this relay: the reference answered these with HTML or an empty body.
  notFound: 'not found',
  methodNotAllowed: 'method not allowed',
  invalidJson: 'invalid JSON body',
  bodyTooLarge: 'request body too large',
  unsupportedMediaType: 'expected Content-Type: application/json',
  // Per-address shares under the global fuses: one address's refusal, not everyone's.
  roomQuota: 'too many rooms created from this address — try again later',
  roomBufferQuota: 'room buffer share of this address used up — try again later',
  dmBufferQuota: 'DM buffer share of this address used up — try again later',
  identityQuota: 'too many new identities from this address — try again later',
} as const;
export type ErrorText = (typeof ERR)[keyof typeof ERR];

/** The JSON body of every error response. */
export interface ErrorBody {
  error: string;
  [extra: string]: unknown;
}
