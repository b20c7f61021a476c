/**
 * DmInboxes in Redis: every node sees every inbox, seqs come from one counter per
 * inbox, and a DM stored through any node wakes the long-polls parked on every node.
 */
import type { Redis } from 'ioredis';
import { LIMITS, type DmEnvelope } from '../../protocol/index.js';
import type { DmDraft, DmFuse, DmInboxes } from './inboxes.js';
import { DM_SCRIPTS, type DmScriptName } from './redisScripts.js';
import { DmWaiters } from './waiters.js';

type Arg = string | number;
type ScriptFn = (...args: Arg[]) => Promise<unknown>;

/** What the room backend shares with the inboxes: its connection, channel and event stream. */
export interface RedisLink {
  cmd: Redis;
  /** The leading script arguments (luaCommon.ts) for a given now. */
  common(now: number): Arg[];
  /** Subscribe to this channel's frames that start with `tag`. */
  on(tag: string, fn: (rest: string) => void): void;
}

export const DM_TAG = 'd';

export class RedisInboxes implements DmInboxes {
  readonly waiters = new DmWaiters();

  constructor(private readonly link: RedisLink) {
    for (const [name, lua] of Object.entries(DM_SCRIPTS)) link.cmd.defineCommand(`b2b_${name}`, { numberOfKeys: 0, lua });
    link.on(DM_TAG, (rest) => this.onStored(rest));
  }

  private run(name: DmScriptName, now: number, ...args: Arg[]): Promise<unknown> {
    const fn = (this.link.cmd as unknown as Record<string, ScriptFn>)[`b2b_${name}`]!;
    return fn.call(this.link.cmd, ...this.link.common(now), ...args);
  }

  async add(handle: string, draft: DmDraft, minSeq: number, fuse: DmFuse, now: number): Promise<DmEnvelope | 'fuse' | 'quota'> {
    const maxBytes = fuse.maxBytes;
    const rest = JSON.stringify(draft).slice(1);
    const bytes = draft.ciphertext.length + LIMITS.messageOverheadBytes;
    const out = (await this.run(
      'dmAdd', now, handle, rest, bytes, minSeq, maxBytes, draft.from_verified ? 1 : 0, LIMITS.dmInboxAnonMax, LIMITS.dmInboxMax, LIMITS.dmTtlMs,
    )) as [number, string?];
    return out[0] === 1 ? (JSON.parse(out[1]!) as DmEnvelope) : 'fuse';
  }

  async since(handle: string, after: number, limit: number, now: number): Promise<{ messages: DmEnvelope[]; hasMore: boolean }> {
    const [more, got] = (await this.run('dmSince', now, handle, String(Math.floor(after)), limit, LIMITS.dmTtlMs)) as [number, string[]];
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
    if (!this.waiters.has(handle)) return void this.waiters.onStored?.(handle);
    let env: DmEnvelope;
    try {
      env = JSON.parse(rest.slice(nl + 1)) as DmEnvelope;
    } catch {
      return;
    }
    this.waiters.wake(handle, env);
  }
}
