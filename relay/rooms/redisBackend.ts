/**
 * The shared backend: room state in Redis, so several relay nodes behind a load balancer behave
 * as one. Rooms and DM inboxes are spread over one or more Redis servers (shards.ts); every
 * mutation of a room is one Lua script on its shard (redis/scripts.ts), and a node subscribes to
 * a room's channel only while it has clients in the room (redis/events.ts). Time always comes
 * from the caller. Redis must run without persistence; connect() warns when it does not.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LIMITS, type Participant } from '../../protocol/index.js';
import type { RelayLimits } from '../config.js';
import { RedisInboxes } from '../dm/redisInboxes.js';
import { RedisDirectoryMirror, type SharedDirectoryRegistry } from '../identity/sharedDirectory.js';
import { RedisIdentityMirror, type MirroredRegistry } from '../identity/sharedIdentities.js';
import type { BucketSpecs } from '../limits/rateLimit.js';
import { RATE_TAG, SharedRateLimiter } from '../limits/sharedRateLimit.js';
import { mergePresence } from './memoryBackend.js';
import type { PushLink } from '../push/redisStore.js';
import { MESSAGE_FRAME_PREFIX, messageFrame } from './messageFrame.js';
import { checkPersistence, openCluster, openRedis } from './redis/connect.js';
import { EventStream } from './redis/events.js';
import { SCRIPTS, type ScriptName } from './redis/scripts.js';
import {
  assertUp,
  isConnectionError,
  parseShardUrls,
  pickShard,
  shardSeeds,
  ShardUnavailableError,
  type Shard,
} from './redis/shards.js';
import type {
  AckOutcome,
  AppendOutcome,
  BackendEvents,
  BusyRooms,
  ClaimOutcome,
  EnsureOutcome,
  LocalPresence,
  MessageDraft,
  PresenceEntry,
  ReadResult,
  ReplayResult,
  RoomBackend,
  RoomInfo,
  StoredMessage,
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
/** Where a seq-0 frame's fields after the seq start. */
const REST_AT = `${MESSAGE_FRAME_PREFIX}"seq":0,`.length;

type Arg = string | number;
type ScriptFn = (...args: Arg[]) => Promise<unknown>;

export interface RedisBackendOptions {
  /** Key prefix; lets several clusters share one Redis. */
  prefix?: string;
  /** Stable id for this node's presence and busy marks; random by default. */
  nodeId?: string;
  /** The URLs are seed nodes of a Redis Cluster rather than independent servers. */
  cluster?: boolean;
}

/** Hash tags rooms are spread over on a Redis Cluster: enough to spread over a few dozen primaries. */
export const CLUSTER_SLOT_GROUPS = 64;

/** A shard with its event stream. */
interface LiveShard extends Shard {
  stream: EventStream;
}

export class RedisBackend implements RoomBackend {
  private events: BackendEvents = NO_EVENTS;
  private isBusy: (roomId: string) => boolean = () => false;
  private busyList: () => Iterable<string> = () => [];
  /** Rooms this node has marked busy in Redis; the janitor clears marks it no longer needs. */
  private readonly marked = new Set<string>();
  /** Rooms where this node has published presence entries, refreshed so they do not expire. */
  private readonly published = new Map<string, string>();
  readonly nodeId: string;
  private readonly seeds: number[];
  /** How long a node's busy marks and presence entries live without a refresh. */
  private readonly markTtlMs: number;
  private closed = false;
  /** The latest caller's clock, for the catch-up read after a reconnect (which has no caller). */
  private lastNow = 0;
  private lastBackgroundError = 0;
  private rate: SharedRateLimiter | null = null;

  private constructor(
    private readonly shards: LiveShard[],
    private readonly limits: RelayLimits,
    options: RedisBackendOptions,
  ) {
    this.nodeId = options.nodeId ?? randomUUID().slice(0, 12);
    this.markTtlMs = Math.max(4 * limits.janitorIntervalMs, 5_000);
    this.seeds = shardSeeds(shards.map((s) => s.spec));
    for (const sh of shards) {
      for (const [name, lua] of Object.entries(SCRIPTS))
        if (!(`b2b_${name}` in sh.cmd)) sh.cmd.defineCommand(`b2b_${name}`, { numberOfKeys: 1, lua });
    }
  }

  /**
   * `url` is one Redis URL or several, comma-separated: each is an independent shard. With
   * `cluster`, they are seed nodes of one Redis Cluster instead (see connectCluster).
   */
  static async connect(
    url: string,
    limits: RelayLimits,
    options: RedisBackendOptions = {},
  ): Promise<RedisBackend> {
    if (options.cluster) return RedisBackend.connectCluster(url, limits, options);
    const prefix = options.prefix ?? 'b2b:';
    const specs = parseShardUrls(url);
    const opened: Redis[] = [];
    const shards: LiveShard[] = [];
    try {
      for (const [index, spec] of specs.entries()) {
        const cmd = await openRedis(spec.url, spec.target, 'cmd');
        opened.push(cmd);
        const sub = await openRedis(spec.url, spec.target, 'sub');
        opened.push(sub);
        await checkPersistence(cmd, spec.target);
        shards.push({
          index,
          spec,
          cmd,
          sub,
          prefix,
          root: `${prefix}${spec.target.db}:`,
          stream: null as unknown as EventStream,
        });
      }
    } catch (e) {
      for (const c of opened) c.disconnect();
      throw e;
    }
    return RedisBackend.start(shards, limits, options, false);
  }

  /**
   * A Redis Cluster: rooms and inboxes are spread over CLUSTER_SLOT_GROUPS hash tags, each a
   * shard of its own (its keys and room channels in one slot, so every script stays on one
   * node), and room channels are sharded pub/sub (SSUBSCRIBE/SPUBLISH). The URL's database
   * number becomes a key namespace, since a Redis Cluster has only database 0.
   */
  private static async connectCluster(
    url: string,
    limits: RelayLimits,
    options: RedisBackendOptions,
  ): Promise<RedisBackend> {
    const prefix = options.prefix ?? 'b2b:';
    const specs = parseShardUrls(url);
    const first = specs[0]!;
    const cmd = await openCluster(specs, 'cmd', false);
    let sub: Redis;
    try {
      sub = await openCluster(specs, 'sub', true);
      await checkPersistence(cmd, first.target);
    } catch (e) {
      cmd.disconnect();
      throw e;
    }
    const ns = first.target.db;
    const shards: LiveShard[] = [];
    for (let index = 0; index < CLUSTER_SLOT_GROUPS; index++) {
      const tag = `{${ns}.${index}}`;
      const root = `${prefix}${tag}:`;
      shards.push({
        index,
        spec: { ...first, name: tag },
        cmd,
        sub,
        prefix: root,
        root,
        stream: null as unknown as EventStream,
      });
    }
    return RedisBackend.start(shards, limits, options, true);
  }

  private static async start(
    shards: LiveShard[],
    limits: RelayLimits,
    options: RedisBackendOptions,
    sharded: boolean,
  ): Promise<RedisBackend> {
    const backend = new RedisBackend(shards, limits, options);
    for (const sh of shards) {
      sh.stream = new EventStream(
        sh.sub,
        sh.root,
        () => backend.events,
        {
          readSince: async (roomId, after) =>
            (await backend.read(roomId, after, -1, backend.lastNow))?.messages ?? null,
        },
        sharded,
      );
    }
    if (sharded) {
      // One client carries every slot group's channels: one set of listeners routes by the
      // channel's hash-tagged root (`b2b:{ns.k}:`) instead of 64 listeners each testing it.
      const sub = shards[0]!.sub;
      const byRoot = new Map(shards.map((sh) => [sh.root, sh.stream]));
      const streamOf = (channel: Buffer) => {
        const end = channel.indexOf('}:');
        return end < 0 ? undefined : byRoot.get(channel.toString('latin1', 0, end + 2));
      };
      sub.on('messageBuffer', (channel: Buffer, payload: Buffer) =>
        streamOf(channel)?.onMessage(channel, payload),
      );
      sub.on('smessageBuffer', (channel: Buffer, payload: Buffer) =>
        streamOf(channel)?.onShardMessage(channel, payload),
      );
      sub.on('ready', () => {
        for (const st of byRoot.values()) st.onReady();
      });
    }
    for (const sh of shards) await sh.stream.start(!sharded);
    return backend;
  }

  attach(events: BackendEvents, busy: BusyRooms): void {
    this.events = events;
    this.isBusy = (roomId) => busy.has(roomId);
    this.busyList = () => busy.list();
  }

  private shardOf(key: string): LiveShard {
    return this.shards[pickShard(this.seeds, key)]!;
  }

  /** Run a script on a shard; an unreachable shard is a 503 for this request only. */
  private async on(sh: Shard, name: ScriptName, now: number, ...args: Arg[]): Promise<unknown> {
    assertUp(sh);
    const fn = (sh.cmd as unknown as Record<string, ScriptFn>)[`b2b_${name}`]!;
    try {
      return await fn.call(sh.cmd, `${sh.prefix}rooms`, ...this.common(sh, now), ...args);
    } catch (e) {
      if (isConnectionError(e)) throw new ShardUnavailableError(sh.spec.name);
      throw e;
    }
  }

  private run(name: ScriptName, now: number, roomId: string, ...args: Arg[]): Promise<unknown> {
    this.lastNow = now;
    return this.on(this.shardOf(roomId), name, now, roomId, ...args);
  }

  /** DM inboxes, each on the shard its handle hashes to (relay/dm/redisInboxes.ts). */
  inboxes(): RedisInboxes {
    return new RedisInboxes({
      shardFor: (handle) => {
        const sh = this.shardOf(`dm:${handle}`);
        assertUp(sh);
        return {
          cmd: sh.cmd,
          key: `${sh.prefix}rooms`,
          common: (now) => this.common(sh, now),
          name: sh.spec.name,
        };
      },
      on: (tag, fn) => {
        for (const sh of this.shards) sh.stream.on(tag, fn);
      },
    });
  }

  /** Web Push subscriptions: the registry on the first shard, each room's index beside the room. */
  pushLink(): PushLink {
    const view = (sh: Shard) => ({ cmd: sh.cmd, prefix: sh.prefix, name: sh.spec.name });
    return {
      home: view(this.home),
      shardFor: (key) => {
        const sh = this.shardOf(key);
        assertUp(sh);
        return view(sh);
      },
    };
  }

  /** The first shard also carries what is cluster-wide: identities and rate-limit announcements. */
  private get home(): LiveShard {
    return this.shards[0]!;
  }

  /**
   * Registrations, agent profiles and signature nonces shared with the other nodes
   * (identity/sharedIdentities.ts, sharedDirectory.ts); call after the registry loaded DATA_DIR.
   */
  async shareIdentities(registry: MirroredRegistry & SharedDirectoryRegistry): Promise<void> {
    const h = this.home;
    const link = {
      cmd: h.cmd,
      channel: h.stream.control,
      nodeId: this.nodeId,
      on: (tag: string, fn: (rest: string) => void) => h.stream.on(tag, fn),
    };
    await new RedisIdentityMirror({ ...link, key: `${h.prefix}identities` }, registry).start();
    // After the identities: profiles are checked against the keys of their owners.
    await new RedisDirectoryMirror({ ...link, key: `${h.prefix}profiles` }, registry).start(
      this.lastNow || Date.now(),
    );
  }

  /** Token buckets shared with the other nodes over the first shard's control channel (sharedRateLimit.ts). */
  rateLimiter(specs: BucketSpecs): SharedRateLimiter {
    const h = this.home;
    this.rate ??= new SharedRateLimiter(
      specs,
      {
        publish: (payload) =>
          void h.cmd
            .publish(h.stream.control, `${RATE_TAG}${payload}`)
            .catch((e: unknown) => this.background(e)),
        on: (tag, fn) => h.stream.on(tag, fn),
      },
      this.nodeId,
    );
    return this.rate;
  }

  /** The leading arguments every script takes (luaCommon.ts). */
  private common(sh: Shard, now: number): Arg[] {
    // With one shard its script enforces the room cap atomically; with several, makeRoom() does.
    const cap = this.shards.length === 1 ? this.limits.roomsMax : Number.MAX_SAFE_INTEGER;
    return [
      sh.prefix,
      sh.root,
      now,
      LIMITS.replayMaxAgeMs,
      LIMITS.replayMaxMessages,
      LIMITS.messageOverheadBytes,
      cap,
      HIGH_WATER_MS,
    ];
  }

  async ensure(roomId: string, now: number): Promise<EnsureOutcome> {
    if (this.shards.length > 1 && !(await this.exists(roomId)) && !(await this.makeRoom(roomId, now)))
      return 'room_cap';
    return (await this.run('ensure', now, roomId)) === 1 ? 'ok' : 'room_cap';
  }

  /**
   * The room cap across shards, checked when a room is about to be created (rare next to posts):
   * count every reachable shard's rooms and, at the cap, evict the least recently active room no
   * node is using, wherever it lives. Two creations racing on different nodes can pass the cap
   * by one each; the next creation brings it back.
   */
  private async makeRoom(roomId: string, now: number): Promise<boolean> {
    const up = this.shards.filter((sh) => sh.cmd.status === 'ready');
    const counts = await Promise.all(up.map((sh) => sh.cmd.zcard(`${sh.prefix}rooms`).catch(() => 0)));
    if (counts.reduce((a, b) => a + b, 0) < this.limits.roomsMax) return true;
    const found = await Promise.all(
      up.map(async (sh) => ({ sh, v: (await this.on(sh, 'victim', now).catch(() => [])) as string[] })),
    );
    const candidates = found
      .filter((c) => c.v[0] !== undefined && c.v[0] !== roomId)
      .sort((a, b) => Number(a.v[1]) - Number(b.v[1]));
    for (const c of candidates) {
      if ((await this.on(c.sh, 'evict', now, c.v[0]!)) === 1) return true;
    }
    return false;
  }

  async exists(roomId: string): Promise<boolean> {
    const sh = this.shardOf(roomId);
    assertUp(sh);
    return (await sh.cmd.exists(`${sh.prefix}r:${roomId}:meta`)) === 1;
  }

  async append(
    roomId: string,
    draft: MessageDraft,
    signed: boolean,
    lock: boolean,
    now: number,
    _owner?: string,
    expectedLastSeq?: number,
  ): Promise<AppendOutcome> {
    // The seq is Redis's to assign: everything else, in the same field order as in memory.
    const stamped = storedMessage(0, draft, uuid(), now);
    const ttl = stamped.ttl_ms ?? 0;
    // The script prepends {"seq":N, so the stored JSON keeps the memory backend's field order:
    // the frame's fields after its placeholder seq, written out without JSON.stringify.
    const rest = messageFrame(stamped).slice(REST_AT);
    const bytes = draft.ciphertext.length + LIMITS.messageOverheadBytes;
    const expected = expectedLastSeq === undefined ? -1 : expectedLastSeq;
    const args = [
      bytes,
      signed ? 1 : 0,
      lock ? 1 : 0,
      rest,
      ttl,
      this.limits.roomBufferBytesMax,
      this.limits.roomBytesPerRoom,
      expected,
      draft.nonce,
    ];
    let out = (await this.run('append', now, roomId, ...args)) as string[];
    // A new room (rare next to posts): create it under the room cap, then post again. A room
    // evicted between the two is created again, as a post to a missing room would.
    for (let i = 0; out[0] === 'missing' && i < 3; i++) {
      if ((await this.ensure(roomId, now)) !== 'ok') return { ok: false, reason: 'room_cap' };
      out = (await this.run('append', now, roomId, ...args)) as string[];
    }
    if (out[0] === 'missing') return { ok: false, reason: 'room_cap' };
    if (out[0] === 'repeated')
      return {
        ok: true,
        message: JSON.parse(out[1]!) as StoredMessage,
        locked: out[2] === '1',
        repeated: true,
      };
    if (out[0] === 'moved_on') return { ok: false, reason: 'moved_on', lastSeq: Number(out[1]) };
    if (out[0] !== 'ok')
      return { ok: false, reason: out[0] as 'room_cap' | 'byte_fuse' | 'needs_sig' | 'locked' };
    stamped.seq = Number(out[1]);
    return { ok: true, message: stamped, locked: out[2] === '1' };
  }

  async read(
    roomId: string,
    after: number,
    limit: number,
    now: number,
    maxBytes?: number,
  ): Promise<ReadResult | null> {
    const lim = limit >= 1e9 ? -1 : Math.floor(limit);
    const budget = maxBytes === undefined || !Number.isFinite(maxBytes) ? -1 : Math.floor(maxBytes);
    const out = (await this.run('read', now, roomId, String(Math.floor(after)), lim, budget)) as [
      number,
      string?,
      string?,
      string[]?,
    ];
    if (out[0] !== 1) return null;
    return {
      lastSeq: Number(out[1]),
      oldestSeq: Number(out[2]),
      messages: (out[3] ?? []).map((j) => JSON.parse(j) as StoredMessage),
    };
  }

  async replay(roomId: string, after: number, now: number): Promise<ReplayResult | null> {
    const read = await this.read(roomId, after, Number.MAX_SAFE_INTEGER, now);
    if (!read) return null;
    this.shardOf(roomId).stream.noteRead(roomId, read.lastSeq);
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
    // Streams and long-polls touch the room before they read it: once this resolves, every later
    // message of the room reaches this node, so the read that follows cannot miss one. Its
    // failure fails the join or the wait. Leaving is settled by setLocalPresence and the janitor.
    const sh = this.shardOf(roomId);
    if (!sh.stream.isWanted(roomId)) assertUp(sh);
    await sh.stream.want(roomId);
    // The hub fires this and setLocalPresence without awaiting: a Redis hiccup (or a node
    // shutting down) must not become an unhandled rejection. The next janitor pass re-marks.
    await this.mark(roomId, now, true).catch((e: unknown) => this.background(e));
  }

  /** Subscribe to the room's channel while this node has clients in it; leave it when not. */
  private async follow(roomId: string): Promise<void> {
    const sh = this.shardOf(roomId);
    if (this.isBusy(roomId)) {
      if (!sh.stream.isWanted(roomId)) assertUp(sh);
      await sh.stream.want(roomId);
    } else {
      sh.stream.drop(roomId);
    }
  }

  /** Errors of fire-and-forget work: reported at most once a minute, never thrown. */
  private background(e: unknown): void {
    if (this.closed) return;
    const t = Date.now();
    if (t - this.lastBackgroundError < 60_000) return;
    this.lastBackgroundError = t;
    console.error(
      JSON.stringify({
        level: 'warn',
        redis: 'background operation failed',
        error: e instanceof Error ? e.message : String(e),
      }),
    );
  }

  /** Share whether this node holds streams or waiters in the room (and bump lastActive). */
  private async mark(roomId: string, now: number, bump: boolean): Promise<void> {
    const busy = this.isBusy(roomId);
    if (busy) this.marked.add(roomId);
    else this.marked.delete(roomId);
    await this.run('touch', now, roomId, this.nodeId, busy ? 1 : 0, this.markTtlMs, bump ? 1 : 0);
  }

  async heartbeat(roomId: string, name: string, boxPub: string | null, now: number): Promise<boolean> {
    return (
      (await this.run('heartbeat', now, roomId, name, boxPub ?? '', this.limits.heartbeatsPerRoom)) === 1
    );
  }

  async setLocalPresence(roomId: string, size: number, entries: PresenceEntry[], now: number): Promise<void> {
    const json = size > 0 ? JSON.stringify({ size, entries }) : '';
    if (json) this.published.set(roomId, json);
    else this.published.delete(roomId);
    try {
      // Joins and leaves are also when this node starts or stops needing the room.
      await this.follow(roomId);
      await this.mark(roomId, now, false);
      await this.run('setPresence', now, roomId, this.nodeId, json, this.markTtlMs);
    } catch (e) {
      this.background(e);
    }
  }

  async presence(
    roomId: string,
    now: number,
    local: LocalPresence,
  ): Promise<{ size: number; names: string[]; participants: Participant[] }> {
    const [others, hb, boxes] = (await this.run('presence', now, roomId, this.nodeId)) as [
      string[],
      string[],
      string[],
    ];
    const nodes: Array<{ node: string; size: number; entries: PresenceEntry[] }> = [
      { node: this.nodeId, ...local },
    ];
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
    for (let i = 0, k = 0; i + 1 < hb.length; i += 2, k++)
      heartbeats.set(hb[i]!, { lastSeen: Number(hb[i + 1]), box_pub: boxes[k] || null });
    return mergePresence(nodes, heartbeats, now);
  }

  async claim(
    roomId: string,
    handle: string,
    exclude: ReadonlySet<string>,
    leaseMs: number,
    now: number,
  ): Promise<ClaimOutcome> {
    const out = (await this.run(
      'claim',
      now,
      roomId,
      handle,
      leaseMs,
      uuid(),
      LIMITS.cursorRoomsPerHandle,
      CURSOR_KEEP_MS,
      ...exclude,
    )) as string[];
    const kind = out[0] as ClaimOutcome['kind'];
    const cursor = Number(out[1]);
    const lastSeq = Number(out[2]);
    if (kind === 'hit')
      return { kind, cursor, lastSeq, claimId: out[3]!, message: JSON.parse(out[4]!) as StoredMessage };
    return kind === 'empty' ? { kind, cursor, lastSeq } : { kind, cursor };
  }

  async ack(roomId: string, handle: string, claimId: string, seq: number, now: number): Promise<AckOutcome> {
    const valid = Number.isFinite(seq);
    const out = (await this.run(
      'ack',
      now,
      roomId,
      handle,
      claimId,
      valid ? String(seq) : '0',
      valid ? 1 : 0,
    )) as [number, number, string];
    return out[0] === 1
      ? { ok: true, advanced: out[1] === 1, cursor: Number(out[2]) }
      : { ok: false, cursor: Number(out[2]) };
  }

  async janitor(now: number): Promise<void> {
    if (this.closed) return;
    const busy = new Set(this.busyList());
    await Promise.all(
      this.shards.map(async (sh) => {
        if (sh.cmd.status !== 'ready') return;
        try {
          await this.sweep(sh, now, busy);
        } catch (e) {
          this.background(e);
        }
      }),
    );
  }

  private async sweep(sh: LiveShard, now: number, busy: ReadonlySet<string>): Promise<void> {
    // First renew this node's claims on its rooms of this shard, so no other node's sweep evicts them.
    const pipe = sh.cmd.pipeline();
    const queue = pipe as unknown as Record<string, (...a: Arg[]) => unknown>;
    const mine = (id: string) => this.shardOf(id) === sh;
    for (const id of new Set([...busy, ...this.marked, ...sh.stream.subscribedRooms()])) {
      if (!mine(id)) continue;
      const isBusy = this.isBusy(id);
      if (isBusy) this.marked.add(id);
      else {
        this.marked.delete(id);
        sh.stream.drop(id);
      }
      queue.b2b_touch!(
        `${sh.prefix}rooms`,
        ...this.common(sh, now),
        id,
        this.nodeId,
        isBusy ? 1 : 0,
        this.markTtlMs,
        0,
      );
    }
    // Refresh (not republish) this node's presence entries: nothing changed, so no event.
    for (const [id, json] of this.published) {
      if (!mine(id)) continue;
      pipe.set(`${sh.prefix}r:${id}:pres:${this.nodeId}`, json, 'PX', this.markTtlMs);
      pipe.sadd(`${sh.prefix}r:${id}:presn`, this.nodeId);
      pipe.pexpire(`${sh.prefix}r:${id}:presn`, this.markTtlMs);
    }
    await pipe.exec();
    // One node sweeps each shard per interval; the others would only repeat its work.
    const lock = await sh.cmd.set(
      `${sh.prefix}janitor`,
      this.nodeId,
      'PX',
      Math.max(1, Math.floor(this.limits.janitorIntervalMs * 0.8)),
      'NX',
    );
    if (lock !== 'OK') return;
    let offset = 0;
    for (;;) {
      const [scanned, evictedIds] = (await this.on(
        sh,
        'sweep',
        now,
        this.limits.roomGraceMs,
        LIMITS.heartbeatFreshMs,
        offset,
        SWEEP_BATCH,
      )) as [number, string[]];
      for (const id of evictedIds) this.events.evicted(id);
      const evicted = evictedIds.length;
      if (scanned < SWEEP_BATCH) break;
      offset += scanned - evicted;
    }
  }

  /** Rooms across the reachable shards. */
  async roomCount(): Promise<number> {
    const up = this.shards.filter((sh) => sh.cmd.status === 'ready');
    const counts = await Promise.all(up.map((sh) => sh.cmd.zcard(`${sh.prefix}rooms`).catch(() => 0)));
    return counts.reduce((a, b) => a + b, 0);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.rate?.close();
    this.closed = true;
    // A node shutting down cleanly withdraws its presence and busy marks at once instead of
    // letting them expire; a node that dies leaves them to their TTL.
    await Promise.allSettled(
      this.shards.map(async (sh) => {
        const pipe = sh.cmd.pipeline();
        for (const id of this.marked) {
          if (this.shardOf(id) !== sh) continue;
          pipe.del(`${sh.prefix}r:${id}:busy:${this.nodeId}`);
          pipe.srem(`${sh.prefix}r:${id}:busyn`, this.nodeId);
        }
        for (const id of this.published.keys()) {
          if (this.shardOf(id) !== sh) continue;
          pipe.del(`${sh.prefix}r:${id}:pres:${this.nodeId}`);
          pipe.srem(`${sh.prefix}r:${id}:presn`, this.nodeId);
          pipe.publish(`${sh.root}r:${id}`, 'p');
        }
        if (sh.cmd.status === 'ready') await pipe.exec();
      }),
    );
    this.marked.clear();
    this.published.clear();
    const clients = new Set(this.shards.flatMap((sh) => [sh.sub, sh.cmd]));
    await Promise.allSettled([...clients].map((c) => (c.status === 'ready' ? c.quit() : c.disconnect())));
  }
}
