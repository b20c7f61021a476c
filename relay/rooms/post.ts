/**
 * Accepting a post, shared by HTTP and WebSocket so that both apply the same checks in the same
 * order (reference-relay.md §2.1): rate limit, signature, then the atomic append (room cap and
 * the address's room quota, the address's byte share, byte fuse, signed-only latch).
 * A post whose nonce the room already holds is answered with that message's id and seq and not
 * stored again, so a client may resend a post whose answer it never got.
 */
import { ERR, RETRY_AFTER_S, type PostMessageBody, type StoredMessage } from '../../protocol/index.js';
import { rateLimitOrThrow, type RelayDeps } from '../deps.js';
import { HttpError } from '../http/respond.js';
import type { AppendOutcome, MessageDraft } from './types.js';

export type Transport = 'http' | 'ws';

/** The reference's default labels when a post carries none. */
const DEFAULT_SENDER: Record<Transport, string> = { http: 'agent', ws: 'user' };

/** The rate-limit bucket of posts to a room. */
export function roomRateKey(roomId: string): string {
  return `room:${roomId}`;
}

/**
 * Throws HttpError with the status and text each transport reports. Synchronous when the backend
 * is (memory), so the caller answers in the same turn; a promise otherwise (Redis).
 */
export function acceptPost(
  deps: RelayDeps,
  roomId: string,
  body: PostMessageBody,
  ip: string,
  transport: Transport,
  rateKey: string = roomRateKey(roomId),
): StoredMessage | Promise<StoredMessage> {
  rateLimitOrThrow(deps, ip, rateKey, RETRY_AFTER_S.roomPost);
  const signed = Boolean(body.sender_handle) && Boolean(body.sender_sig);
  // In a cluster, a handle registered through another node can reach this one after the
  // registrant's first signed post does: read it from the shared hash before judging the
  // signature. Never on one node, and never for a handle this node already knows.
  if (signed && deps.identities.couldResolve(body.sender_handle)) {
    return deps.identities
      .resolve(body.sender_handle)
      .then(() => checkAndAppend(deps, roomId, body, ip, transport, signed));
  }
  return checkAndAppend(deps, roomId, body, ip, transport, signed);
}

function checkAndAppend(
  deps: RelayDeps,
  roomId: string,
  body: PostMessageBody,
  ip: string,
  transport: Transport,
  signed: boolean,
): StoredMessage | Promise<StoredMessage> {
  const now = deps.now();
  let handle: string | null = null;
  if (signed) {
    handle = deps.identities.verifyRoomPost(roomId, { ...body, ciphertext: body.ciphertext }, now, ip);
    if (!handle) throw new HttpError(401, ERR.badSenderSig);
  }
  const draft: MessageDraft = {
    sender: handle ? `@${handle}` : body.sender || DEFAULT_SENDER[transport],
    sender_verified: handle !== null,
    ciphertext: body.ciphertext,
    nonce: body.nonce,
  };
  if (typeof body.ttl_ms === 'number' && body.ttl_ms > 0) draft.ttl_ms = body.ttl_ms;
  if (body.reply_to) draft.reply_to = body.reply_to;
  const expected = typeof body.expected_last_seq === 'number' ? body.expected_last_seq : undefined;
  const out = deps.backend.append(
    roomId,
    draft,
    handle !== null,
    body.signed_only === true,
    now,
    ip,
    expected,
  );
  const done = (o: AppendOutcome) => {
    const m = accepted(o, transport);
    if (!(o.ok && o.repeated)) {
      deps.metrics?.post(transport);
      if (o.ok) deps.push?.roomMessage(roomId);
    }
    return m;
  };
  return out instanceof Promise ? out.then(done) : done(out);
}

function accepted(out: AppendOutcome, transport: Transport): StoredMessage {
  if (out.ok) return out.message;
  switch (out.reason) {
    case 'room_cap':
      throw new HttpError(503, ERR.roomCap, RETRY_AFTER_S.roomCap);
    case 'byte_fuse':
      throw new HttpError(
        503,
        transport === 'ws' ? ERR.roomBufferFullWs : ERR.roomBufferFull,
        RETRY_AFTER_S.byteFuse,
      );
    case 'needs_sig':
      throw new HttpError(400, ERR.signedOnlyNeedsSig);
    case 'locked':
      throw new HttpError(403, transport === 'ws' ? ERR.signedOnlyLockedWs : ERR.signedOnlyLocked);
    case 'moved_on':
      throw new HttpError(409, ERR.roomMovedOn, undefined, { last_seq: out.lastSeq });
    case 'room_quota':
      throw new HttpError(429, ERR.roomQuota, RETRY_AFTER_S.roomQuota);
    case 'byte_quota':
      throw new HttpError(429, ERR.roomBufferQuota, RETRY_AFTER_S.bufferQuota);
  }
}
