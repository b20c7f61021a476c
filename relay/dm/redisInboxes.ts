/**
 * DmInboxes in Redis: each inbox lives on the shard its handle hashes to, seqs come from one
 * counter per inbox, and a DM stored through any node wakes the long-polls parked on every node.
 */
import type { Redis } from 'ioredis';
import { LIMITS, type DmEnvelope } from '../../protocol/index.js';
import type { DmDraft, DmFuse, DmInboxes } from './inboxes.js';
import { DM_SCRIPTS, type DmScriptName } from './redisScripts.js';
import { DmWaiters } from './waiters.js';
import { isConnectionError, ShardUnavailableError } from '../rooms/redis/shards.js';

type Arg = string | number;
type ScriptFn = (...args: Arg[]) => Promise<unknown>;

/** The shard an inbox lives on: its connection and the leading script arguments (luaCommon.ts). */
export interface InboxShard {
  cmd: Redis;
  /** A key under the shard's prefix, which routes the script on a Redis Cluster. */
  key: string;
  common(now: number): Arg[];
  name: string;
}

/** What the room backend shares with the inboxes: the shard of a handle, and the control channels. */
export interface RedisLink {
  /** Throws ShardUnavailableError when that shard is unreachable. */
  shardFor(handle: string): InboxShard;
  /** Subscribe to control frames that start with `tag`, on every shard. */
  on(tag: string, fn: (rest: string) => void): void;
}

export const DM_TAG = 'd';

export class RedisInboxes implements DmInboxes {
  readonly waiters = new DmWaiters();

  constructor(private readonly link: RedisLink) {
    link.on(DM_TAG, (rest) => this.onStored(rest));
  }

  private readonly defined = new WeakSet<Redis>();

  /** Run on the handle's shard (every script's first argument after the common ones is the handle). */
  private async run(name: DmScriptName, now: number, handle: string, ...args: Arg[]): Promise<unknown> {
    const sh = this.link.shardFor(handle);
    if (!this.defined.has(sh.cmd)) {
      for (const [n, lua] of Object.entries(DM_SCRIPTS))
        sh.cmd.defineCommand(`b2b_${n}`, { numberOfKeys: 1, lua });
      this.defined.add(sh.cmd);
    }
    const fn = (sh.cmd as unknown as Record<string, ScriptFn>)[`b2b_${name}`]!;
    try {
      return await fn.call(sh.cmd, sh.key, ...sh.common(now), handle, ...args);
    } catch (e) {
      if (isConnectionError(e)) throw new ShardUnavailableError(sh.name);
      throw e;
    }
  }

  async add(
    handle: string,
    draft: DmDraft,
    minSeq: number,
    fuse: DmFuse,
    now: number,
  ): Promise<DmEnvelope | 'fuse' | 'quota'> {
    const maxBytes = fuse.maxBytes;
    const rest = JSON.stringify(draft).slice(1);
    const bytes = draft.ciphertext.length + LIMITS.messageOverheadBytes;
    const out = (await this.run(
      'dmAdd',
      now,
      handle,
      rest,
      bytes,
      minSeq,
      maxBytes,
      draft.from_verified ? 1 : 0,
      LIMITS.dmInboxAnonMax,
      LIMITS.dmInboxMax,
      LIMITS.dmTtlMs,
    )) as [number, string?];
    return out[0] === 1 ? (JSON.parse(out[1]!) as DmEnvelope) : 'fuse';
  }

  async since(
    handle: string,
    after: number,
    limit: number,
    now: number,
  ): Promise<{ messages: DmEnvelope[]; hasMore: boolean }> {
    const [more, got] = (await this.run(
      'dmSince',
      now,
      handle,
      String(Math.floor(after)),
      limit,
      LIMITS.dmTtlMs,
    )) as [number, string[]];
    return { messages: got.map((j) => JSON.parse(j) as DmEnvelope), hasMore: more === 1 };
  }

  async remove(handle: string, id: string): Promise<number> {
    return (await this.run('dmRemove', Date.now(), handle, id)) as number;
  }

  async drop(handle: string): Promise<void> {
    await this.run('dmDrop', Date.now(), handle);
  }

  /** An envelope was stored through some node: wake this node's waiters it is news to. */
  private onStored(rest: string): void {
    const nl = rest.indexOf('\n');
    if (nl < 0) return;
    const handle = rest.slice(0, nl);
    if (!this.waiters.has(handle)) return;
    let env: DmEnvelope;
    try {
      env = JSON.parse(rest.slice(nl + 1)) as DmEnvelope;
    } catch {
      return;
    }
    this.waiters.wake(handle, env);
  }
}
