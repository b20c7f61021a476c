/**
 * Identities shared by a cluster. Each node keeps the full registry in memory, as a
 * single node does, so every signature check stays synchronous; registrations are written
 * through to a Redis hash and announced on the event channel, and every node applies them.
 * Redis is the arbiter when two nodes register one handle at once: the earlier registration
 * wins and the other node adopts it. Only public keys and bios travel: the same material that
 * `GET /api/identity/:handle` serves to anyone.
 *
 * Garbage collection stays node-local on purpose: `last_seen_at` is per node, so one node's
 * idea that a handle is inactive must not delete it from the others.
 */
import type { Redis } from 'ioredis';
import { loadIdentities } from './records.js';
import type { IdentityRecord } from './types.js';

export const IDENTITY_TAG = 'i';

export interface IdentityLink {
  cmd: Redis;
  key: string;
  channel: string;
  nodeId: string;
  on(tag: string, fn: (rest: string) => void): void;
}

/** What the registry calls on a local change. */
export interface IdentityMirror {
  put(record: IdentityRecord): Promise<void>;
  /** A handle this node has not heard of yet, read from the shared hash (and adopted). */
  fetch(handle: string): Promise<IdentityRecord | undefined>;
}

/** The registry as the mirror sees it. */
export interface MirroredRegistry {
  records: Map<string, IdentityRecord>;
  identitiesChanged(): void;
  mirror: IdentityMirror | null;
}

/** ARGV: channel, node, handle, record JSON, sign_pub, registered_at. Returns the winner's JSON. */
const PUT = `
local cur = redis.call('HGET', KEYS[1], ARGV[3])
if cur then
  local c = cjson.decode(cur)
  if c.sign_pub ~= ARGV[5] and tonumber(c.registered_at) <= tonumber(ARGV[6]) then return cur end
end
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
redis.call('PUBLISH', ARGV[1], '${IDENTITY_TAG}' .. ARGV[2] .. '\\n' .. ARGV[4])
return ARGV[4]
`;

export class RedisIdentityMirror implements IdentityMirror {
  constructor(
    private readonly link: IdentityLink,
    private readonly registry: MirroredRegistry,
  ) {
    link.cmd.defineCommand('b2b_identityPut', { numberOfKeys: 1, lua: PUT });
    link.on(IDENTITY_TAG, (rest) => this.onRemote(rest));
  }

  /**
   * Merge at start: identities Redis has and this node lacks are adopted; identities only this
   * node has (from its DATA_DIR) are offered to Redis, so a restarted Redis fills up again.
   */
  async start(): Promise<void> {
    const all = await this.link.cmd.hgetall(this.link.key);
    const parsed: Record<string, unknown> = {};
    for (const [h, json] of Object.entries(all)) {
      try {
        parsed[h] = JSON.parse(json);
      } catch {
        // skipped: loadIdentities would drop it anyway
      }
    }
    // The same field-by-field validation as records loaded from disk.
    for (const r of loadIdentities({ identities: parsed }).records) this.adopt(r);
    const missing = [...this.registry.records.values()].filter((r) => !(r.handle in all));
    for (const r of missing) await this.put(r);
    this.registry.mirror = this;
  }

  async put(record: IdentityRecord): Promise<void> {
    const json = JSON.stringify(publicPart(record));
    const fn = (this.link.cmd as unknown as Record<string, (...a: Array<string | number>) => Promise<string>>)
      .b2b_identityPut!;
    const winner = await fn.call(
      this.link.cmd,
      this.link.key,
      this.link.channel,
      this.link.nodeId,
      record.handle,
      json,
      record.sign_pub,
      record.registered_at,
    );
    if (winner !== json) this.onRemoteRecord(winner);
  }

  async fetch(handle: string): Promise<IdentityRecord | undefined> {
    const json = await this.link.cmd.hget(this.link.key, handle);
    if (json !== null) this.onRemoteRecord(json);
    return this.registry.records.get(handle);
  }

  private onRemote(rest: string): void {
    const nl = rest.indexOf('\n');
    if (nl < 0 || rest.slice(0, nl) === this.link.nodeId) return;
    this.onRemoteRecord(rest.slice(nl + 1));
  }

  private onRemoteRecord(json: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch {
      return;
    }
    const handle = (raw as { handle?: unknown } | null)?.handle;
    if (typeof handle !== 'string') return;
    const [r] = loadIdentities({ identities: { [handle]: raw } }).records;
    if (r) this.adopt(r);
  }

  private adopt(r: IdentityRecord): void {
    const local = this.registry.records.get(r.handle);
    if (local) {
      // Keep this node's own counters; take the shared keys and bio.
      local.box_pub = r.box_pub;
      local.sign_pub = r.sign_pub;
      local.registered_at = r.registered_at;
      local.meta = r.meta;
      local.last_seen_at = Math.max(local.last_seen_at, r.last_seen_at);
    } else {
      this.registry.records.set(r.handle, r);
    }
    this.registry.identitiesChanged();
  }
}

function publicPart(r: IdentityRecord): IdentityRecord {
  return {
    handle: r.handle,
    box_pub: r.box_pub,
    sign_pub: r.sign_pub,
    registered_at: r.registered_at,
    meta: r.meta,
    last_seen_at: r.last_seen_at,
    inbox_seq: 0,
  };
}
