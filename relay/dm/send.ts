/**
 * `POST /api/dm/:handle` (reference-relay.md §5.5): checks in the reference's order, then the
 * envelope goes into the recipient's RAM inbox. Anyone may send; a sender that signs is marked
 * `from_verified`, and a claimed sender without a valid signature is never passed on.
 */
import {
  ERR,
  LIMITS,
  RETRY_AFTER_S,
  dmEnvelopeHash,
  dmText,
  isStrictBase64Of,
  strictBase64Length,
} from '../../protocol/index.js';
import { rateLimitOrThrow, type RelayDeps } from '../deps.js';
import { HttpError } from '../http/respond.js';
import { pathHandle } from '../identity/ownerAuth.js';
import type { DmDraft } from './inboxes.js';
import { uuid } from '../uuid.js';

export interface DmInput {
  ciphertext?: unknown;
  nonce?: unknown;
  sender_eph_pub?: unknown;
  from_handle?: unknown;
  from_sig?: unknown;
  from_ts?: unknown;
}

/** Decoded length of base64 text without trusting its form (the size check precedes the form check). */
function roughDecodedLength(s: string): number {
  return Math.floor((s.replace(/=+$/, '').length * 3) / 4);
}

export async function sendDm(
  deps: RelayDeps,
  ip: string,
  rawHandle: string | undefined,
  b: DmInput,
): Promise<{ id: string; seq: number }> {
  const now = deps.now();
  const reg = deps.identities;
  const to = pathHandle(rawHandle);
  rateLimitOrThrow(deps, ip, `dm:${to}`, RETRY_AFTER_S.dmSend);
  const recipient = await reg.resolve(to);
  if (!recipient) throw new HttpError(404, ERR.noSuchHandle);
  const { ciphertext, nonce, sender_eph_pub: eph } = b;
  if (
    typeof ciphertext !== 'string' ||
    typeof nonce !== 'string' ||
    typeof eph !== 'string' ||
    !ciphertext ||
    !nonce ||
    !eph
  ) {
    throw new HttpError(400, ERR.dmFieldsRequired);
  }
  if (roughDecodedLength(ciphertext) > LIMITS.dmCiphertextBytes) throw new HttpError(400, ERR.dmTooLarge);
  if (strictBase64Length(ciphertext) === null) throw new HttpError(400, ERR.dmCiphertextNotCanonical);
  if (!isStrictBase64Of(nonce, LIMITS.nonceBytes)) throw new HttpError(400, ERR.dmNonceNotCanonical);
  if (!isStrictBase64Of(eph, LIMITS.keyBytes)) throw new HttpError(400, ERR.dmEphNotCanonical);

  let from: string | null = null;
  const { from_handle: fh, from_sig: sig, from_ts: ts } = b;
  if (typeof fh === 'string' && fh !== '' && typeof sig === 'string' && typeof ts === 'number') {
    if (!isStrictBase64Of(sig, LIMITS.signatureBytes)) throw new HttpError(400, ERR.dmFromSigNotCanonical);
    if (!Number.isFinite(ts) || Math.abs(now - ts) > LIMITS.sigMaxSkewMs)
      throw new HttpError(400, ERR.dmFromSkew);
    const fromHandle = fh.replace(/@/g, '').toLowerCase().slice(0, 34);
    const sender = reg.records.get(fromHandle);
    if (!sender) throw new HttpError(400, ERR.dmFromNotRegistered);
    const envHash = dmEnvelopeHash(ciphertext, nonce, eph, reg.hash);
    if (!reg.checkSignature(ip, now, dmText(to, fromHandle, ts, envHash), sig, sender.sign_pub))
      throw new HttpError(401, ERR.dmFromSigBad);
    const seen = reg.dmEnvelopes.record(to, envHash, ts, now);
    if (seen === 'seen') throw new HttpError(401, ERR.dmEnvelopeSeen);
    if (seen === 'full') throw new HttpError(429, ERR.dmReplayCacheFull, RETRY_AFTER_S.dmSend);
    reg.touch(fromHandle, now);
    from = fromHandle;
  }

  const draft: DmDraft = {
    id: uuid(),
    ciphertext,
    nonce,
    sender_eph_pub: eph,
    from_handle: from,
    from_verified: from !== null,
    ts: now,
  };
  // The byte fuse is checked inside add(), atomically with the store when inboxes are shared.
  const { dmBufferBytesMax: maxBytes, dmBytesPerIp: perSenderBytes } = deps.config.limits;
  const env = await reg.inboxes.add(
    to,
    draft,
    Math.max(recipient.inbox_seq, now + 1),
    { maxBytes, perSenderBytes, sender: ip },
    now,
  );
  if (env === 'fuse') throw new HttpError(503, ERR.dmBufferFull, RETRY_AFTER_S.byteFuse);
  if (env === 'quota') throw new HttpError(429, ERR.dmBufferQuota, RETRY_AFTER_S.bufferQuota);
  reg.inboxSeqUsed(recipient, env.seq);
  deps.push?.dmStored(to);
  return { id: env.id, seq: env.seq };
}
