/**
 * The shared backend: room state in Redis, so several relay nodes behind a load
 * balancer behave as one. Every mutation is one Lua script (redis/scripts.ts), events reach all
 * nodes through one pub/sub channel (redis/events.ts), and time always comes from the caller.
 * Redis must run without persistence; connect() warns when it does not.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LIMITS, type Participant } from '../../protocol/index.js';
import type { RelayLimits } from '../config.js';
import { RedisInboxes } from '../dm/redisInboxes.js';
import { RedisIdentityMirror, type MirroredRegistry } from '../identity/sharedIdentities.js';
import type { BucketSpecs } from '../limits/rateLimit.js';
import { RATE_TAG, SharedRateLimiter } from '../limits/sharedRateLimit.js';
import { mergePresence } from './memoryBackend.js';
import { messageFrame } from './messageFrame.js';
import { checkPersistence, openRedis, parseRedisUrl } from './redis/connect.js';
import { EventStream } from './redis/events.js';
import { SCRIPTS, type ScriptName } from './redis/scripts.js';
import type {
  AckOutcome, AppendOutcome, EnsureOutcome, BackendEvents, ClaimOutcome, LocalPresence, MessageDraft, PresenceEntry, ReadResult, ReplayResult, RoomBackend, RoomInfo, StoredMessage,
} from './types.js';
import { storedMessage } from './types.js';
import { OutFrame } from './subscriber.js';
import { uuid } from '../uuid.js';

const NO_EVENTS: BackendEvents = { message() {}, locked() {}, presence() {}, evicted() {} };
/** A room's last seq outlives the room this long, so a recreated room starts above it. */
const HIGH_WATER_MS = 7 * 24 * 3600_000;
/** Claim cursors of a handle that has not claimed for this long are forgotten. */
const CURSOR_KEEP_MS = 7 * 24 * 3600_000;
const SWEEP_BATCH = 200;

type Arg = string | number;
type ScriptFn = (...args: Arg[]) => Promise<unknown>;

export interface RedisBackendOptions {
  /** Key prefix; lets several clusters share one Redis. */
  prefix?: string;
  /** Stable id for this node's presence and busy marks; random by default. */
  nodeId?: string;
}

export class RedisBackend implements RoomBackend {
  private events: BackendEvents = NO_EVENTS;
  private isBusy: (roomId: string) => boolean = () => false;
  /** Rooms this node has marked busy in Redis; the janitor clears marks it no longer needs. */
  private readonly marked = new Set<string>();
  /** Rooms where this node has published presence entries, refreshed so they do not expire. */
  private readonly published = new Map<string, string>();
  private readonly stream: EventStream;
  private readonly channel: string;
  readonly nodeId: string;
  private readonly prefix: string;
  /** How long a node's busy marks and presence entries live without a refresh. */
  private readonly markTtlMs: number;
  private closed = false;
  /** The latest caller's clock, for the catch-up read after a reconnect (which has no caller). */
  private lastNow = 0;
  private lastBackgroundError = 0;
  private rate: SharedRateLimiter | null = null;

  private constructor(
    private readonly cmd: Redis,
    private readonly sub: Redis,
    db: number,
    private readonly limits: RelayLimits,
    options: RedisBackendOptions,
  ) {
    this.prefix = options.prefix ?? 'b2b:';
    this.nodeId = options.nodeId ?? randomUUID().slice(0, 12);
    this.channel = `${this.prefix}${db}:events`;
    this.markTtlMs = Math.max(4 * limits.janitorIntervalMs, 5_000);
    for (const [name, lua] of Object.entries(SCRIPTS)) cmd.defineCommand(`b2b_${name}`, { numberOfKeys: 0, lua });
    this.stream = new EventStream(sub, this.channel, () => this.events, () => this.isBusy, {
      readSince: async (roomId, after) => (await this.read(roomId, after, -1, this.lastNow))?.messages ?? null,
    });
  }

  static async connect(url: string, limits: RelayLimits, options: RedisBackendOptions = {}): Promise<RedisBackend> {
    const target = parseRedisUrl(url);
    const cmd = await openRedis(url, target, 'cmd');
    let sub: Redis;
    try {
      sub = await openRedis(url, target, 'sub');
    } catch (e) {
      cmd.disconnect();
      throw e;
    }
    await checkPersistence(cmd, target);
    const backend = new RedisBackend(cmd, sub, target.db, limits, options);
    await backend.stream.start();
    return backend;
  }

  attach(events: BackendEvents, isBusy: (roomId: string) => boolean): void {
    this.events = events;
    this.isBusy = isBusy;
  }

  private run(name: ScriptName, now: number, ...args: Arg[]): Promise<unknown> {
    this.lastNow = now;
    const fn = (this.cmd as unknown as Record<string, ScriptFn>)[`b2b_${name}`]!;
    return fn.call(this.cmd, ...this.common(now), ...args);
  }

  /** DM inboxes on the same connections and event channel (relay/dm/redisInboxes.ts). */
  inboxes(): RedisInboxes {
    return new RedisInboxes({ cmd: this.cmd, common: (now) => this.common(now), on: (tag, fn) => this.stream.on(tag, fn) });
  }

  /** Registrations shared with the other nodes (identity/sharedIdentities.ts); call after the registry loaded DATA_DIR. */
  async shareIdentities(registry: MirroredRegistry): Promise<void> {
    const mirror = new RedisIdentityMirror(
      { cmd: this.cmd, key: `${this.prefix}identities`, channel: this.channel, nodeId: this.nodeId, on: (tag, fn) => this.stream.on(tag, fn) },
      registry,
    );
    await mirror.start();
  }

  /** Token buckets shared with the other nodes over the event channel (sharedRateLimit.ts). */
  rateLimiter(specs: BucketSpecs): SharedRateLimiter {
    this.rate ??= new SharedRateLimiter(
      specs,
      {
        publish: (payload) => void this.cmd.publish(this.channel, `${RATE_TAG}${payload}`).catch((e: unknown) => this.background(e)),
        on: (tag, fn) => this.stream.on(tag, fn),
      },
      this.nodeId,
    );
    return this.rate;
  }

  /** The leading arguments every script takes (luaCommon.ts). */
  private common(now: number): Arg[] {
    return [this.prefix, this.channel, now, LIMITS.replayMaxAgeMs, LIMITS.replayMaxMessages, LIMITS.messageOverheadBytes, this.limits.roomsMax, HIGH_WATER_MS];
  }

  async ensure(roomId: string, now: number): Promise<EnsureOutcome> {
    return (await this.run('ensure', now, roomId)) === 1 ? 'ok' : 'room_cap';
  }

  async exists(roomId: string): Promise<boolean> {
    return (await this.cmd.exists(`${this.prefix}r:${roomId}:meta`)) === 1;
  }

  async append(roomId: string, draft: MessageDraft, signed: boolean, lock: boolean, now: number, _owner?: string, expectedLastSeq?: number): Promise<AppendOutcome> {
    // The seq is Redis's to assign: everything else, in the same field order as in memory.
    const { seq: _unassigned, ...body } = storedMessage(0, draft, uuid(), now);
    const ttl = body.ttl_ms ?? 0;
    // The script prepends {"seq":N, so the stored JSON keeps the memory backend's field order.
    const rest = JSON.stringify(body).slice(1);
    const bytes = draft.ciphertext.length + LIMITS.messageOverheadBytes;
    const expected = expectedLastSeq === undefined ? -1 : expectedLastSeq;
    const out = (await this.run('append', now, roomId, bytes, signed ? 1 : 0, lock ? 1 : 0, rest, ttl, this.limits.roomBufferBytesMax, this.limits.roomBytesPerRoom, expected, draft.nonce)) as string[];
    if (out[0] === 'repeated') return { ok: true, message: JSON.parse(out[1]!) as StoredMessage, locked: out[2] === '1', repeated: true };
    if (out[0] === 'moved_on') return { ok: false, reason: 'moved_on', lastSeq: Number(out[1]) };
    if (out[0] !== 'ok') return { ok: false, reason: out[0] as 'room_cap' | 'byte_fuse' | 'needs_sig' | 'locked' };
    return { ok: true, message: JSON.parse(out[1]!) as StoredMessage, locked: out[2] === '1' };
  }

  async read(roomId: string, after: number, limit: number, now: number): Promise<ReadResult | null> {
    const lim = limit >= 1e9 ? -1 : Math.floor(limit);
    const out = (await this.run('read', now, roomId, String(Math.floor(after)), lim)) as [number, string?, string?, string[]?];
    if (out[0] !== 1) return null;
    return { lastSeq: Number(out[1]), oldestSeq: Number(out[2]), messages: (out[3] ?? []).map((j) => JSON.parse(j) as StoredMessage) };
  }

  async replay(roomId: string, after: number, now: number): Promise<ReplayResult | null> {
    const read = await this.read(roomId, after, Number.MAX_SAFE_INTEGER, now);
    if (!read) return null;
    const frames = read.messages.map((m) => ({ seq: m.seq, frame: new OutFrame(messageFrame(m)) }));
    return { frames, lastSeq: read.lastSeq, oldestSeq: read.oldestSeq };
  }

  async info(roomId: string, now: number): Promise<RoomInfo | null> {
    const out = (await this.run('info', now, roomId)) as Array<string | number | null>;
    if (out[0] !== 1) return null;
    return {
      createdAt: Number(out[1]),
      lastActive: Number(out[2]),
      signedOnly: out[3] === '1',
      count: Number(out[4]),
      lastSeq: Number(out[5]),
      oldestSeq: Number(out[6]),
    };
  }

  async touch(roomId: string, now: number): Promise<void> {
    // The hub fires this and setLocalPresence without awaiting: a Redis hiccup (or a node
    // shutting down) must not become an unhandled rejection. The next janitor pass re-marks.
    await this.mark(roomId, now, true).catch((e: unknown) => this.background(e));
  }

  /** Errors of fire-and-forget work: reported at most once a minute, never thrown. */
  private background(e: unknown): void {
    if (this.closed) return;
    const t = Date.now();
    if (t - this.lastBackgroundError < 60_000) return;
    this.lastBackgroundError = t;
    console.error(JSON.stringify({ level: 'warn', redis: 'background operation failed', error: e instanceof Error ? e.message : String(e) }));
  }

  /** Share whether this node holds streams or waiters in the room (and bump lastActive). */
  private async mark(roomId: string, now: number, bump: boolean): Promise<void> {
    const busy = this.isBusy(roomId);
    if (busy) this.marked.add(roomId);
    else this.marked.delete(roomId);
    await this.run('touch', now, roomId, this.nodeId, busy ? 1 : 0, this.markTtlMs, bump ? 1 : 0);
  }

  async heartbeat(roomId: string, name: string, boxPub: string | null, now: number): Promise<boolean> {
    return (await this.run('heartbeat', now, roomId, name, boxPub ?? '', this.limits.heartbeatsPerRoom)) === 1;
  }

  async setLocalPresence(roomId: string, size: number, entries: PresenceEntry[], now: number): Promise<void> {
    const json = size > 0 ? JSON.stringify({ size, entries }) : '';
    if (json) this.published.set(roomId, json);
    else this.published.delete(roomId);
    try {
      // Joins and leaves are also when this node starts or stops needing the room.
      await this.mark(roomId, now, false);
      await this.run('setPresence', now, roomId, this.nodeId, json, this.markTtlMs);
    } catch (e) {
      this.background(e);
    }
  }

  async presence(roomId: string, now: number, local: LocalPresence): Promise<{ size: number; names: string[]; participants: Participant[] }> {
    const [others, hb, boxes] = (await this.run('presence', now, roomId, this.nodeId)) as [string[], string[], string[]];
    const nodes: Array<{ node: string; size: number; entries: PresenceEntry[] }> = [{ node: this.nodeId, ...local }];
    for (let i = 0; i + 1 < others.length; i += 2) {
      try {
        const p = JSON.parse(others[i + 1]!) as LocalPresence;
        nodes.push({ node: others[i]!, size: p.size, entries: p.entries });
      } catch {
        // A malformed entry is skipped rather than failing the room's presence.
      }
    }
    // Every node lists the same participants in the same order.
    nodes.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
    const heartbeats = new Map<string, { lastSeen: number; box_pub: string | null }>();
    for (let i = 0, k = 0; i + 1 < hb.length; i += 2, k++) heartbeats.set(hb[i]!, { lastSeen: Number(hb[i + 1]), box_pub: boxes[k] || null });
    return mergePresence(nodes, heartbeats, now);
  }

  async claim(roomId: string, handle: string, exclude: ReadonlySet<string>, leaseMs: number, now: number): Promise<ClaimOutcome> {
    const out = (await this.run('claim', now, roomId, handle, leaseMs, uuid(), LIMITS.cursorRoomsPerHandle, CURSOR_KEEP_MS, ...exclude)) as string[];
    const kind = out[0] as ClaimOutcome['kind'];
    const base = { kind, cursor: Number(out[1]), lastSeq: Number(out[2]) };
    if (kind !== 'hit') return base;
    return { ...base, claimId: out[3]!, message: JSON.parse(out[4]!) as StoredMessage };
  }

  async ack(roomId: string, handle: string, claimId: string, seq: number, now: number): Promise<AckOutcome> {
    const valid = Number.isFinite(seq);
    const out = (await this.run('ack', now, roomId, handle, claimId, valid ? String(seq) : '0', valid ? 1 : 0)) as [number, number, string];
    return out[0] === 1 ? { ok: true, advanced: out[1] === 1, cursor: Number(out[2]) } : { ok: false, cursor: Number(out[2]) };
  }

  async janitor(now: number, busy: ReadonlySet<string>): Promise<void> {
    if (this.closed) return;
    try {
      await this.sweep(now, busy);
    } catch (e) {
      this.background(e);
    }
  }

  private async sweep(now: number, busy: ReadonlySet<string>): Promise<void> {
    // First renew this node's claims on rooms, so no other node's sweep evicts them.
    const pipe = this.cmd.pipeline();
    const queue = pipe as unknown as Record<string, (...a: Arg[]) => unknown>;
    for (const id of new Set([...busy, ...this.marked])) {
      const isBusy = busy.has(id) || this.isBusy(id);
      if (isBusy) this.marked.add(id);
      else this.marked.delete(id);
      queue.b2b_touch!(...this.common(now), id, this.nodeId, isBusy ? 1 : 0, this.markTtlMs, 0);
    }
    // Refresh (not republish) this node's presence entries: nothing changed, so no event.
    for (const [id, json] of this.published) {
      pipe.set(`${this.prefix}r:${id}:pres:${this.nodeId}`, json, 'PX', this.markTtlMs);
      pipe.sadd(`${this.prefix}r:${id}:presn`, this.nodeId);
      pipe.pexpire(`${this.prefix}r:${id}:presn`, this.markTtlMs);
    }
    await pipe.exec();
    this.stream.forgetIdle();
    // One node sweeps per interval; the others would only repeat its work.
    const lock = await this.cmd.set(`${this.prefix}janitor`, this.nodeId, 'PX', Math.max(1, Math.floor(this.limits.janitorIntervalMs * 0.8)), 'NX');
    if (lock !== 'OK') return;
    let offset = 0;
    for (;;) {
      const [scanned, evicted] = (await this.run('sweep', now, this.limits.roomGraceMs, LIMITS.heartbeatFreshMs, offset, SWEEP_BATCH)) as [number, number];
      if (scanned < SWEEP_BATCH) break;
      offset += scanned - evicted;
    }
  }

  async roomCount(): Promise<number> {
    return this.cmd.zcard(`${this.prefix}rooms`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.rate?.close();
    this.closed = true;
    // A node shutting down cleanly withdraws its presence and busy marks at once instead of
    // letting them expire; a node that dies leaves them to their TTL.
    try {
      const pipe = this.cmd.pipeline();
      for (const id of this.marked) {
        pipe.del(`${this.prefix}r:${id}:busy:${this.nodeId}`);
        pipe.srem(`${this.prefix}r:${id}:busyn`, this.nodeId);
      }
      for (const id of this.published.keys()) {
        pipe.del(`${this.prefix}r:${id}:pres:${this.nodeId}`);
        pipe.srem(`${this.prefix}r:${id}:presn`, this.nodeId);
        pipe.publish(this.channel, `p${id}`);
      }
      await pipe.exec();
    } catch {
      // Redis is already gone: the TTLs clean up.
    }
    this.marked.clear();
    this.published.clear();
    await Promise.allSettled([this.sub.quit(), this.cmd.quit()]);
  }
}
