/**
 * Signature checks shared by room posts and owner routes (reference-relay.md §5.2, §5.4). The
 * cheap checks come first; `check` runs the one Ed25519 verification, and a nonce is recorded
 * only after it holds, so a forger cannot burn a real client's nonces.
 */
import {
  LIMITS,
  LOOSE_HANDLE_RE,
  NONCE_TOKEN_RE,
  isStrictBase64Of,
  parseAuthHeader,
  requestText,
  roomMessageText,
  type TextHash,
} from '../../protocol/index.js';
import type { NonceCache } from './nonceCache.js';
import type { IdentityRecord, SenderFields } from './types.js';

/** Verifies one detached signature over `text` with a base64 public key. */
export type SigCheck = (text: string, sigB64: string, signPubB64: string) => boolean;

export function verifyRoomPostSignature(
  roomId: string,
  f: SenderFields & { ciphertext: string },
  lookup: (handle: string) => IdentityRecord | undefined,
  nonces: NonceCache,
  now: number,
  check: SigCheck,
  hash: TextHash,
): string | null {
  if (typeof f.sender_handle !== 'string' || typeof f.sender_sig !== 'string') return null;
  const handle = f.sender_handle.toLowerCase();
  if (!LOOSE_HANDLE_RE.test(handle)) return null;
  const tsOk =
    typeof f.sender_ts === 'number' || (typeof f.sender_ts === 'string' && /^\d+$/.test(f.sender_ts));
  if (!tsOk) return null;
  const ts = Number(f.sender_ts);
  if (!Number.isFinite(ts) || Math.abs(now - ts) > LIMITS.sigMaxSkewMs) return null;
  if (typeof f.sender_nonce !== 'string' || !NONCE_TOKEN_RE.test(f.sender_nonce)) return null;
  if (!isStrictBase64Of(f.sender_sig, LIMITS.signatureBytes)) return null;
  const id = lookup(handle);
  if (!id) return null;
  // The signed text uses sender_ts exactly as sent (number or numeric string).
  if (
    !check(
      roomMessageText(roomId, f.sender_ts as number | string, f.sender_nonce, f.ciphertext, hash),
      f.sender_sig,
      id.sign_pub,
    )
  )
    return null;
  if (!nonces.use(`room:${handle}`, f.sender_nonce, ts, now)) return null;
  return handle;
}

export function verifyRequestSignature(
  id: IdentityRecord | undefined,
  method: string,
  originalUrl: string,
  header: string | undefined,
  nonces: NonceCache,
  now: number,
  check: SigCheck,
): boolean {
  if (!id) return false;
  const auth = parseAuthHeader(header);
  if (!auth) return false;
  if (Math.abs(now - auth.ts) > LIMITS.sigMaxSkewMs) return false;
  if (!NONCE_TOKEN_RE.test(auth.nonce)) return false;
  if (!isStrictBase64Of(auth.sig, LIMITS.signatureBytes)) return false;
  if (!check(requestText(method, originalUrl, auth.ts, auth.nonce), auth.sig, id.sign_pub)) return false;
  return nonces.use(`req:${id.handle}`, auth.nonce, auth.ts, now);
}
