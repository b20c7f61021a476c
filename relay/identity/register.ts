/**
 * `POST /api/identity/register` (reference-relay.md §5.1): every check in the reference's order,
 * each with its own status and text.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  ERR,
  HANDLE_RE,
  LIMITS,
  RESERVED_HANDLES,
  RETRY_AFTER_S,
  isStrictBase64Of,
  registerText,
  strictBase64Length,
} from '../../protocol/index.js';
import { rateLimitOrThrow, type RelayDeps } from '../deps.js';
import { HttpError } from '../http/respond.js';
import type { IdentityRecord } from './types.js';

export interface RegisterInput {
  handle?: unknown;
  box_pub?: unknown;
  sign_pub?: unknown;
  register_ts?: unknown;
  register_sig?: unknown;
  meta?: unknown;
}

export interface RegisterOutcome {
  handle: string;
  registered_at: number;
}

/** `Authorization: Bearer <token>` against the configured admin token, in constant time. */
export function isAdmin(header: string | undefined, token: string | null): boolean {
  if (!token || !header?.startsWith('Bearer ')) return false;
  const a = createHash('sha256').update(header.slice(7)).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

function bioOf(meta: unknown): { bio?: string } {
  if (!meta || typeof meta !== 'object') return {};
  const bio = (meta as { bio?: unknown }).bio;
  return typeof bio === 'string' ? { bio: bio.slice(0, LIMITS.bioMaxChars) } : {};
}

type SigCheck = 'ok' | 'missing' | 'noncanonical' | 'skew' | 'used' | 'bad';

/** Steps 8–12: the signature's presence, form, freshness, novelty and validity. */
function checkSignature(
  deps: RelayDeps,
  ip: string,
  b: RegisterInput,
  handle: string,
  boxPub: string,
  signPub: string,
  now: number,
): SigCheck {
  const { register_ts: ts, register_sig: sig } = b;
  if (typeof sig !== 'string' || sig === '' || typeof ts !== 'number' || !Number.isFinite(ts))
    return 'missing';
  if (!isStrictBase64Of(sig, LIMITS.signatureBytes)) return 'noncanonical';
  if (Math.abs(now - ts) > LIMITS.sigMaxSkewMs) return 'skew';
  const reg = deps.identities;
  // The key of a new handle is not kept in the key cache until the registration holds.
  if (
    !reg.checkSignature(
      ip,
      now,
      registerText(handle, ts, boxPub, signPub),
      sig,
      signPub,
      !reg.records.has(handle),
    )
  )
    return 'bad';
  // Only a valid signature is recorded, so a forger cannot burn the owner's fresh one; a
  // replay of a used valid signature is still refused as "already used".
  if (reg.registerSigs.record(`register:${handle}`, sig, ts, now) !== 'ok') return 'used';
  return 'ok';
}

const SIG_ERRORS: Record<Exclude<SigCheck, 'ok'>, [number, string]> = {
  missing: [400, ERR.registerSigRequired],
  noncanonical: [400, ERR.registerSigNotCanonical],
  skew: [400, ERR.registerSkew],
  used: [401, ERR.registerSigUsed],
  bad: [401, ERR.registerSigBad],
};

export function register(
  deps: RelayDeps,
  ip: string,
  authorization: string | undefined,
  b: RegisterInput,
): RegisterOutcome {
  const now = deps.now();
  const reg = deps.identities;
  rateLimitOrThrow(deps, ip, 'register', RETRY_AFTER_S.register);
  const handle = b.handle;
  if (typeof handle !== 'string' || !HANDLE_RE.test(handle))
    throw new HttpError(400, ERR.invalidHandleRegister);
  if (RESERVED_HANDLES.has(handle) && !isAdmin(authorization, deps.config.identityAdminToken))
    throw new HttpError(409, ERR.handleReserved);
  const { box_pub: boxPub, sign_pub: signPub } = b;
  if (typeof boxPub !== 'string' || typeof signPub !== 'string' || boxPub === '' || signPub === '')
    throw new HttpError(400, ERR.keysRequired);
  if (strictBase64Length(boxPub) !== LIMITS.keyBytes || strictBase64Length(signPub) !== LIMITS.keyBytes)
    throw new HttpError(400, ERR.keysNotCanonical);

  const existing = reg.records.get(handle);
  if (existing) {
    // Idempotent re-registration by the key owner. Unlike the reference, a re-registration also
    // rotates box_pub (and bio, when meta is sent): the signature covers the new box_pub, so only
    // the holder of sign_sk can do it, and it lets an owner replace a lost DM key.
    if (existing.sign_pub !== signPub || checkSignature(deps, ip, b, handle, boxPub, signPub, now) !== 'ok')
      throw new HttpError(409, ERR.handleTaken);
    existing.box_pub = boxPub;
    if (b.meta !== undefined) existing.meta = bioOf(b.meta);
    existing.last_seen_at = now;
    reg.put(existing);
    return { handle, registered_at: existing.registered_at };
  }

  const { identitiesMax, identitiesPerIpPerDay, identityUnusedGcMs } = deps.config.limits;
  // Checked before the cap: an address that used its share is told so, not that the relay is full.
  const site = ipv6Site(ip);
  if (
    !reg.registrations.allows(ip, now, identitiesPerIpPerDay) ||
    (site !== null && !reg.registrations.allows(site, now, identitiesPerIpPerDay * SITE_SHARE))
  )
    throw new HttpError(429, ERR.identityQuota, RETRY_AFTER_S.identityQuota);
  if (reg.size >= identitiesMax) {
    reg.collectGarbage(now, identityUnusedGcMs, reg.size - identitiesMax + 1);
    if (reg.size >= identitiesMax) throw new HttpError(503, ERR.identityCap, RETRY_AFTER_S.identityCap);
  }
  const sig = checkSignature(deps, ip, b, handle, boxPub, signPub, now);
  if (sig !== 'ok') {
    const [status, text] = SIG_ERRORS[sig];
    throw new HttpError(status, text);
  }
  reg.registrations.record(ip, now);
  if (site !== null) reg.registrations.record(site, now);
  const record: IdentityRecord = {
    handle,
    box_pub: boxPub,
    sign_pub: signPub,
    registered_at: now,
    meta: bioOf(b.meta),
    last_seen_at: now,
    inbox_seq: 0,
  };
  reg.put(record);
  return { handle, registered_at: now };
}

/**
 * A /48 holds 65 536 /64s, and one customer often gets a whole /48: counted per /64 alone, one
 * site could fill the identity cap in a day. Its /64s share SITE_SHARE address quotas.
 */
const SITE_SHARE = 4;

function ipv6Site(key: string): string | null {
  if (!key.endsWith('::/64')) return null;
  return `${key.slice(0, -5).split(':').slice(0, 3).join(':')}::/48`;
}
