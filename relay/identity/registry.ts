/**
 * The identity registry: handles and their public keys. Only public material is kept; the
 * optional persistence (identity/persist.ts) writes these records and nothing else.
 */
import type { NonceCache } from './nonceCache.js';
import type { IdentityRecord, IdentityService, SenderFields } from './types.js';
import { verifyRequestSignature, verifyRoomPostSignature } from './verify.js';

export class IdentityRegistry implements IdentityService {
  readonly records = new Map<string, IdentityRecord>();

  constructor(readonly nonces: NonceCache) {}

  get(handle: string): IdentityRecord | undefined {
    return this.records.get(handle.replace(/^@/, '').toLowerCase());
  }

  put(record: IdentityRecord): void {
    this.records.set(record.handle, record);
  }

  verifyRoomPost(roomId: string, fields: SenderFields & { ciphertext: string }, now: number): string | null {
    const handle = verifyRoomPostSignature(roomId, fields, (h) => this.records.get(h), this.nonces, now);
    if (handle) this.touch(handle, now);
    return handle;
  }

  verifyRequest(handle: string, method: string, originalUrl: string, header: string | undefined, now: number): boolean {
    const ok = verifyRequestSignature(this.get(handle), method, originalUrl, header, this.nonces, now);
    if (ok) this.touch(handle, now);
    return ok;
  }

  /** `last_seen_at`, at most once a minute, as the reference does. */
  private touch(handle: string, now: number): void {
    const r = this.records.get(handle);
    if (r && now - r.last_seen_at > 60_000) r.last_seen_at = now;
  }
}
