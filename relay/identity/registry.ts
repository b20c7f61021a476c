/**
 * The identity registry: handles and their public keys, plus the state bound to a handle (its
 * published profile and its RAM-only DM inbox). Only public material is persisted: identities
 * and profiles, as JSON files in the operator's data directory. DM content never is.
 */
import { ERR, LIMITS } from '../../protocol/index.js';
import { ProfileStore } from '../directory/store.js';
import type { DmInboxes } from '../dm/inboxes.js';
import { MemoryInboxes } from '../dm/memoryInboxes.js';
import { HttpError } from '../http/respond.js';
import { NativeVerifier, sha256HexNative } from './nativeSig.js';
import { NonceCache } from './nonceCache.js';
import { RegistrationQuota } from './registrationQuota.js';
import { JsonFile } from './persist.js';
import { loadIdentities } from './records.js';
import type { IdentityMirror } from './sharedIdentities.js';
import type { IdentityRecord, IdentityService, SenderFields } from './types.js';
import { SigFailureBudget } from './sigFailureBudget.js';
import { verifyRequestSignature, verifyRoomPostSignature } from './verify.js';

export const IDENTITIES_FILE = 'identities.json';
export const PROFILES_FILE = 'agent_profiles.json';

export class IdentityRegistry implements IdentityService {
  readonly records = new Map<string, IdentityRecord>();
  readonly profiles = new ProfileStore();
  /** Used register_sig values per handle (the reference keys this replay cache on the signature). */
  readonly registerSigs = new NonceCache(LIMITS.nonceCacheGlobalMax);
  /** Signed DM envelope hashes per recipient. */
  readonly dmEnvelopes = new NonceCache(LIMITS.dmEnvelopeCacheMax);
  /** SHA-256 for the signed texts, natively. */
  readonly hash = sha256HexNative;
  /** New identities per client address in the last 24 hours (node-local, RAM only). */
  readonly registrations = new RegistrationQuota();
  /** Set in a cluster: registrations are written through to the other nodes (sharedIdentities.ts). */
  mirror: IdentityMirror | null = null;
  /**
   * Handles this node garbage-collected. Collection is node-local (sharedIdentities.ts), so the
   * shared hash still has them; `resolve` must not read them back from it.
   */
  private readonly collected = new Set<string>();
  private readonly mirroring = new Set<Promise<void>>();
  private identityFile: JsonFile | null = null;
  private profileFile: JsonFile | null = null;

  constructor(
    readonly nonces: NonceCache,
    /** RAM-only DM inboxes: this node's memory, or Redis shared by a cluster. */
    readonly inboxes: DmInboxes = new MemoryInboxes(),
    /** Failed signature checks per client address; the default never refuses. */
    readonly sigFailures: SigFailureBudget = new SigFailureBudget(0, 0),
    readonly verifier: NativeVerifier = new NativeVerifier(),
  ) {}

  /**
   * One Ed25519 check on behalf of a client address. While the address has used up its budget
   * of failed checks it gets 429 without any verification; only a failure costs budget.
   * `uncached`: the key is not an identity's (yet), so it is not kept.
   */
  checkSignature(
    ip: string,
    now: number,
    text: string,
    sigB64: string,
    signPubB64: string,
    uncached = false,
  ): boolean {
    const wait = this.sigFailures.retryAfterS(ip, now);
    if (wait > 0) throw new HttpError(429, ERR.sigFailuresExhausted, wait);
    const ok = uncached
      ? this.verifier.verifyUncached(text, sigB64, signPubB64)
      : this.verifier.verify(text, sigB64, signPubB64);
    if (!ok) this.sigFailures.failed(ip, now);
    return ok;
  }

  /** Drop what has expired from the replay caches and the failure budget. */
  sweep(now: number): void {
    this.nonces.sweep(now);
    this.registerSigs.sweep(now);
    this.dmEnvelopes.sweep(now);
    this.sigFailures.sweep(now);
  }

  /**
   * Attach the data directory: load and re-validate what is there, then persist every change.
   * Idempotent; `null` keeps everything in memory. Called by identityRoutes at start.
   */
  open(dataDir: string | null, now: number): void {
    if (!dataDir || this.identityFile) return;
    this.identityFile = JsonFile.in(dataDir, IDENTITIES_FILE, () => ({
      identities: Object.fromEntries(this.records),
    }));
    this.profileFile = JsonFile.in(dataDir, PROFILES_FILE, () => ({ profiles: this.profiles.snapshot() }));
    const ids = loadIdentities(this.identityFile.read());
    for (const r of ids.records) this.records.set(r.handle, r);
    const prof = this.profiles.load(
      this.profileFile.read(),
      (h) => this.records.get(h),
      now,
      this.verifier,
      this.hash,
    );
    if (ids.records.length + ids.dropped + prof.loaded + prof.dropped > 0) {
      console.error(
        JSON.stringify({
          level: 'info',
          state: 'loaded',
          identities: ids.records.length,
          identities_dropped: ids.dropped,
          profiles: prof.loaded,
          profiles_dropped: prof.dropped,
        }),
      );
    }
  }

  /** Write pending changes now. Call on shutdown; safe to call at any time and repeatedly. */
  flush(): void {
    this.identityFile?.flush();
    this.profileFile?.flush();
  }

  identitiesChanged(): void {
    this.identityFile?.changed();
  }

  profilesChanged(): void {
    this.profileFile?.changed();
  }

  get size(): number {
    return this.records.size;
  }

  get(handle: string): IdentityRecord | undefined {
    return this.records.get(handle.replace(/^@/, '').toLowerCase());
  }

  /**
   * `get`, and on a miss in a cluster, the shared hash: a registration answered by another node
   * is announced on the event channel, which can reach this node after the registrant's next
   * request does.
   */
  async resolve(handle: string): Promise<IdentityRecord | undefined> {
    const h = handle.replace(/^@/, '').toLowerCase();
    const known = this.records.get(h);
    if (known || !this.mirror || this.collected.has(h)) return known;
    return this.mirror.fetch(h);
  }

  /**
   * Whether `resolve` could learn something `get` does not know: only in a cluster, and only for
   * a handle this node has neither heard of nor collected itself.
   */
  couldResolve(handle: unknown): handle is string {
    if (typeof handle !== 'string' || !this.mirror) return false;
    const h = handle.replace(/^@/, '').toLowerCase();
    return !this.records.has(h) && !this.collected.has(h);
  }

  put(record: IdentityRecord): void {
    this.collected.delete(record.handle);
    this.records.set(record.handle, record);
    this.identitiesChanged();
    if (this.mirror) {
      const p: Promise<void> = this.mirror.put(record).catch((e: unknown) => {
        console.error(
          JSON.stringify({
            level: 'warn',
            identity: 'not shared with the cluster',
            error: e instanceof Error ? e.message : String(e),
          }),
        );
      });
      this.mirroring.add(p);
      void p.finally(() => this.mirroring.delete(p));
    }
  }

  /** Resolves once every registration so far has reached the other nodes (no-op on one node). */
  async synced(): Promise<void> {
    await Promise.all([...this.mirroring]);
  }

  /** Remove an identity together with its profile and inbox. */
  remove(handle: string): void {
    if (!this.records.delete(handle)) return;
    if (this.profiles.delete(handle)) this.profilesChanged();
    void this.inboxes.drop(handle).catch(() => {});
    this.identitiesChanged();
  }

  /**
   * Free room under the identity cap: drop identities inactive for 180 days or more that have no
   * live profile. When that frees fewer than `want`, identities never used since they were
   * registered, at least `unusedMs` ago and without a live profile, yield too, oldest first and
   * in a batch (1% of the registry): handles taken in bulk and left unused must not keep every
   * newcomer out for half a year. Returns how many went.
   */
  collectGarbage(now: number, unusedMs = Infinity, want = 0): number {
    let n = 0;
    for (const [h, r] of this.records) {
      if (now - Math.max(r.last_seen_at, r.registered_at) < LIMITS.identityGcInactiveMs) continue;
      if (this.profiles.hasLive(h, now)) continue;
      this.collect(h);
      n++;
    }
    if (n >= want || !Number.isFinite(unusedMs)) return n;
    const unused: IdentityRecord[] = [];
    for (const [h, r] of this.records) {
      // `touch` moves last_seen_at at most once a minute: within that, it was never used again.
      if (r.last_seen_at - r.registered_at > 60_000 || now - r.registered_at < unusedMs) continue;
      if (this.profiles.hasLive(h, now)) continue;
      unused.push(r);
    }
    unused.sort((a, b) => a.registered_at - b.registered_at);
    const batch = Math.max(want - n, Math.ceil(this.records.size / 100));
    for (const r of unused.slice(0, batch)) {
      this.collect(r.handle);
      n++;
    }
    return n;
  }

  private collect(handle: string): void {
    this.remove(handle);
    if (this.mirror) this.collected.add(handle);
  }

  /**
   * The next inbox seq for `handle`. The reference started at Date.now()+1 and added 1; taking
   * the max with the clock as well keeps seqs above anything a client saw even if the last
   * debounced write was lost in a crash.
   */
  nextInboxSeq(record: IdentityRecord, now: number): number {
    const seq = Math.max(record.inbox_seq, now + 1);
    record.inbox_seq = seq + 1;
    this.identitiesChanged();
    return seq;
  }

  /** A shared inbox may have given out a higher seq than we proposed: keep the record above it. */
  inboxSeqUsed(record: IdentityRecord, seq: number): void {
    if (record.inbox_seq > seq) return;
    record.inbox_seq = seq + 1;
    this.identitiesChanged();
  }

  verifyRoomPost(
    roomId: string,
    fields: SenderFields & { ciphertext: string },
    now: number,
    ip: string,
  ): string | null {
    const check = (text: string, sig: string, pub: string) => this.checkSignature(ip, now, text, sig, pub);
    const handle = verifyRoomPostSignature(
      roomId,
      fields,
      (h) => this.records.get(h),
      this.nonces,
      now,
      check,
      this.hash,
    );
    if (handle) this.touch(handle, now);
    return handle;
  }

  verifyRequest(
    handle: string,
    method: string,
    originalUrl: string,
    header: string | undefined,
    now: number,
    ip: string,
  ): boolean {
    const check = (text: string, sig: string, pub: string) => this.checkSignature(ip, now, text, sig, pub);
    const ok = verifyRequestSignature(this.get(handle), method, originalUrl, header, this.nonces, now, check);
    if (ok) this.touch(handle, now);
    return ok;
  }

  /** `last_seen_at`, at most once a minute, as the reference does. */
  touch(handle: string, now: number): void {
    const r = this.records.get(handle);
    if (r && now - r.last_seen_at > 60_000) {
      r.last_seen_at = now;
      this.identitiesChanged();
    }
  }
}
