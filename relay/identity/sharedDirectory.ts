/**
 * Agent profiles (the directory) and signature nonce caches shared by a cluster. As with
 * identities (sharedIdentities.ts), each node keeps the full state in memory, so lookups and
 * signature checks stay synchronous; every change is announced on the first shard's control
 * channel and applied by the other nodes, and profiles are also kept in a Redis hash that a
 * starting node loads.
 *
 * A nonce is announced the moment this node accepts it, on the same connection and channel as
 * the change the request then makes; a node that has seen that change has therefore also seen
 * the nonce and refuses a replay. A replay racing the original to another node inside the
 * announcement's flight time (well under a millisecond on a LAN) is the remaining window.
 * Profiles arriving from elsewhere are rebuilt field by field and their signatures checked
 * again, exactly as when loaded from DATA_DIR.
 */
import type { Redis } from 'ioredis';
import type { ProfileStore, StoredProfile } from '../directory/store.js';
import type { NonceCache } from './nonceCache.js';
import type { IdentityRecord } from './types.js';

export const NONCE_TAG = 'n';
export const PROFILE_TAG = 'a';

export interface DirectoryLink {
  cmd: Redis;
  /** Hash of handle -> stored profile JSON. */
  key: string;
  channel: string;
  nodeId: string;
  on(tag: string, fn: (rest: string) => void): void;
}

/** The parts of the registry that are shared here. */
export interface SharedDirectoryRegistry {
  nonces: NonceCache;
  registerSigs: NonceCache;
  dmEnvelopes: NonceCache;
  profiles: ProfileStore;
  records: Map<string, IdentityRecord>;
  profilesChanged(): void;
}

type CacheName = 'nonces' | 'registerSigs' | 'dmEnvelopes';
const CACHES: readonly CacheName[] = ['nonces', 'registerSigs', 'dmEnvelopes'];
type RecordFn = NonceCache['record'];

export class RedisDirectoryMirror {
  /** Each cache's own record(), before announcing was wrapped around it. */
  private readonly apply = new Map<CacheName, RecordFn>();
  private readonly store: ProfileStore;

  constructor(
    private readonly link: DirectoryLink,
    private readonly registry: SharedDirectoryRegistry,
  ) {
    this.store = registry.profiles;
  }

  async start(now: number): Promise<void> {
    for (const name of CACHES) this.wrapCache(name);
    this.wrapProfiles();
    this.link.on(NONCE_TAG, (rest) => this.onNonce(rest));
    this.link.on(PROFILE_TAG, (rest) => this.onProfile(rest));
    // Profiles other nodes hold, then ours (from DATA_DIR) offered to the others.
    const all = await this.link.cmd.hgetall(this.link.key);
    const theirs: Record<string, unknown> = {};
    for (const [h, json] of Object.entries(all)) {
      try {
        theirs[h] = JSON.parse(json);
      } catch {
        // skipped, as a broken entry on disk would be
      }
    }
    const mine = [...this.store.byHandle.entries()].filter(([h]) => !(h in all));
    const loaded = this.store.load({ profiles: theirs }, (h) => this.registry.records.get(h), now);
    if (loaded.loaded > 0) this.registry.profilesChanged();
    for (const [h, entry] of mine) this.announceProfile(h, entry);
  }

  /** Accepted nonces go out to the other nodes; theirs come in through the unwrapped record(). */
  private wrapCache(name: CacheName): void {
    const cache = this.registry[name];
    const own = cache.record.bind(cache);
    this.apply.set(name, own);
    cache.record = (key, nonce, signedTs, now) => {
      const r = own(key, nonce, signedTs, now);
      if (r === 'ok')
        this.publish(`${NONCE_TAG}${this.link.nodeId}\n${JSON.stringify([name, key, nonce, signedTs])}`);
      return r;
    };
  }

  private wrapProfiles(): void {
    const store = this.store;
    const put = store.put.bind(store);
    const heartbeat = store.heartbeat.bind(store);
    const del = store.delete.bind(store);
    store.put = (handle, profile, sig, now) => {
      const entry = put(handle, profile, sig, now);
      this.announceProfile(handle, entry);
      return entry;
    };
    store.heartbeat = (entry, now) => {
      heartbeat(entry, now);
      // A profile is signed for its own handle (normalizeAgentProfile), which is its key here.
      if (store.byHandle.get(entry.profile.handle) === entry)
        this.announceProfile(entry.profile.handle, entry);
    };
    store.delete = (handle) => {
      const had = del(handle);
      if (had) this.announceProfile(handle, null);
      return had;
    };
  }

  private announceProfile(handle: string, entry: StoredProfile | null): void {
    const json = entry ? JSON.stringify(entry) : '';
    const pipe = this.link.cmd.pipeline();
    if (entry) pipe.hset(this.link.key, handle, json);
    else pipe.hdel(this.link.key, handle);
    pipe.publish(this.link.channel, `${PROFILE_TAG}${this.link.nodeId}\n${handle}\n${json}`);
    pipe.exec().catch(() => {
      // Redis away: the other nodes miss this change until the owner publishes again.
    });
  }

  private publish(payload: string): void {
    this.link.cmd.publish(this.link.channel, payload).catch(() => {
      // Redis away: other nodes do not learn this nonce; the signature window bounds the risk.
    });
  }

  private onNonce(rest: string): void {
    const nl = rest.indexOf('\n');
    if (nl < 0 || rest.slice(0, nl) === this.link.nodeId) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(rest.slice(nl + 1));
    } catch {
      return;
    }
    if (!Array.isArray(parsed) || parsed.length !== 4) return;
    const [name, key, nonce, signedTs] = parsed as unknown[];
    const apply = typeof name === 'string' ? this.apply.get(name as CacheName) : undefined;
    if (!apply || typeof key !== 'string' || typeof nonce !== 'string' || typeof signedTs !== 'number')
      return;
    // Kept by its signed timestamp, as the accepting node keeps it, so both forget it together.
    apply(key, nonce, signedTs, Date.now());
  }

  private onProfile(rest: string): void {
    const a = rest.indexOf('\n');
    const b = rest.indexOf('\n', a + 1);
    if (a < 0 || b < 0 || rest.slice(0, a) === this.link.nodeId) return;
    const handle = rest.slice(a + 1, b);
    const json = rest.slice(b + 1);
    if (json === '') {
      if (this.store.byHandle.delete(handle)) this.registry.profilesChanged();
      return;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch {
      return;
    }
    const r = this.store.load(
      { profiles: { [handle]: raw } },
      (h) => this.registry.records.get(h),
      Date.now(),
    );
    if (r.loaded > 0) this.registry.profilesChanged();
  }
}
