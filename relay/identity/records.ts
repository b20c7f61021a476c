/**
 * Identity records read back from the data directory or another node: each rebuilt and checked,
 * never trusted as stored.
 */
import { HANDLE_RE, LIMITS, isStrictBase64Of } from '../../protocol/index.js';
import type { IdentityRecord } from './types.js';

/** Rebuild each persisted record field by field; anything malformed is dropped, not trusted. */
export function loadIdentities(raw: unknown): { records: IdentityRecord[]; dropped: number } {
  const records: IdentityRecord[] = [];
  let dropped = 0;
  const all = raw && typeof raw === 'object' ? (raw as { identities?: unknown }).identities : undefined;
  if (!all || typeof all !== 'object') return { records, dropped };
  for (const [handle, v] of Object.entries(all as Record<string, unknown>)) {
    const r = v as Record<string, unknown> | null;
    if (!r || typeof r !== 'object' || r.handle !== handle || !HANDLE_RE.test(handle)) {
      dropped++;
      continue;
    }
    if (!isStrictBase64Of(r.box_pub, LIMITS.keyBytes) || !isStrictBase64Of(r.sign_pub, LIMITS.keyBytes)) {
      dropped++;
      continue;
    }
    const num = (x: unknown, d: number) => (typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : d);
    const registered = num(r.registered_at, 0);
    const meta = r.meta as { bio?: unknown } | undefined;
    records.push({
      handle,
      box_pub: r.box_pub,
      sign_pub: r.sign_pub,
      registered_at: registered,
      meta:
        meta && typeof meta === 'object' && typeof meta.bio === 'string'
          ? { bio: meta.bio.slice(0, LIMITS.bioMaxChars) }
          : {},
      last_seen_at: num(r.last_seen_at, registered),
      inbox_seq: num(r.inbox_seq, 0),
    });
  }
  return { records, dropped };
}
