/**
 * The throughput engine behind fan-out, many-rooms and ingest: rooms with WebSocket subscribers,
 * posts over WebSocket or HTTP at a rising offered rate, one bounded step per rate, until a
 * step is not sustained (anything lost/duplicated/reordered/refused, p99 ≥ 50 ms, or the
 * generator could not offer the rate). The limit is then bisected geometrically between the last
 * good rate and the failed one, up to three times (to within about 10%). When the very first rate
 * fails, the rate is halved (up to four times) until a step is sustained, and bisected above it.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { HttpPool } from '../lib/httpPool.js';
import { pace } from '../lib/pacer.js';
import { now, postBody } from '../lib/payload.js';
import { round, sleep, type LatencySummary } from '../lib/stats.js';
import { Step } from '../lib/tracker.js';
import { openAll, WsConn } from '../lib/wsClient.js';
import { machineBusyMs } from '../lib/server.js';
import {
  nodeForMember,
  nodeForPosts,
  PER_SOURCE_RATE,
  roomId,
  runTag,
  type BenchContext,
} from './context.js';

export const P99_LIMIT_MS = 50;
/** Bisect while the failed rate is more than this factor above the sustained one… */
const BISECT_RESOLUTION = 1.1;
/** …at most this many times (a doubling ladder then resolves to 2^(1/8), about 9%). */
const MAX_BISECTIONS = 3;
const MAX_PER_STEP = 300_000;
const MAX_DRAIN_MS = 30_000;

export interface LadderSpec {
  name: string;
  rooms: number;
  subsPerRoom: number;
  post: 'ws' | 'http';
  /** Offered posts per second, one step each, in rising order. */
  rates: number[];
}

export interface StepResult {
  offeredPostsPerS: number;
  sent: number;
  accepted: number;
  rejected: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  members: number;
  publishers: number;
  httpConnections: number;
  sendRate: number;
  acceptedPerS: number;
  deliveries: number;
  deliveredPerS: number;
  latency: LatencySummary;
  response: LatencySummary | null;
  serverCpuPct: number | null;
  /** For a cluster: each process's CPU over the step (% of one core), by name. */
  serverCpuParts?: Record<string, number | null>;
  /** CPU µs per post of each process of a cluster, counted like serverCpuUsPerPost. */
  serverCpuUsPerPostParts?: Record<string, number | null>;
  /**
   * Redis µs per post: script time on every shard (INFO commandstats; commands a script issues
   * are inside its time, so they are not added again), and per script call.
   */
  redisUsPerPost?: number | null;
  redisScriptUsPerCall?: number | null;
  /** Server CPU per post (µs): robust to other load on the machine, comparable across servers. */
  serverCpuUsPerPost: number | null;
  clientCpuPct: number;
  /** The load generator's own event-loop delay (max, ms): a stalled generator shows here. */
  clientLoopMaxMs: number;
  /** CPU used by other processes on the machine during the step (% of one core): noise. */
  otherCpuPct: number | null;
  failures: Record<string, number>;
  sustained: boolean;
  why: string;
  /** This step repeated a rate whose first attempt failed on latency only. */
  retry?: boolean;
}

export interface LadderResult {
  name: string;
  rooms: number;
  subsPerRoom: number;
  post: 'ws' | 'http';
  steps: StepResult[];
  /** The sustained step with the most deliveries per second. */
  best: StepResult | null;
  /** Every step passed: the true limit is above the ladder. */
  ladderTopReached: boolean;
  error?: string;
}

export async function runLadder(ctx: BenchContext, spec: LadderSpec): Promise<LadderResult> {
  const result: LadderResult = {
    name: spec.name,
    rooms: spec.rooms,
    subsPerRoom: spec.subsPerRoom,
    post: spec.post,
    steps: [],
    best: null,
    ladderTopReached: false,
  };
  const rooms = Array.from({ length: spec.rooms }, (_, i) => roomId(spec.name, runTag, i));
  const paths = rooms.map((r) => `/api/rooms/${r}/messages`);
  const members: WsConn[][] = rooms.map(() => []);
  const all: WsConn[] = [];
  // One pool per node; HTTP posts to a room go through the node nodeForPosts picks.
  const pools = ctx.nodes.map((n) => new HttpPool(n.host, n.port, ctx.sources));

  // Counted when a member is started, not when it is open: members open concurrently.
  const started = rooms.map(() => 0);
  const addMember = async (roomIdx: number): Promise<WsConn> => {
    const c = new WsConn();
    c.roomIdx = roomIdx;
    const node = ctx.nodes[nodeForMember(ctx.nodes.length, roomIdx, started[roomIdx]!++)]!;
    await c.open({
      base: node.base,
      host: node.host,
      room: rooms[roomIdx]!,
      localAddress: ctx.sources.take(),
    });
    members[roomIdx]!.push(c);
    all.push(c);
    return c;
  };

  try {
    const slots: number[] = [];
    for (let s = 0; s < spec.subsPerRoom; s++) for (let r = 0; r < spec.rooms; r++) slots.push(r);
    await openAll(slots, async (r) => void (await addMember(r)));
    ctx.log(`  ${spec.name}: ${all.length} subscribers ready in ${spec.rooms} room(s)`);

    // Unrecorded seconds at the first rate: JIT warm-up on either side is not its sustained speed.
    // One second left the relay's longer path still compiling at the second rate.
    if (ctx.warmupSeconds > 0) {
      await runStep(
        { ...ctx, stepSeconds: ctx.warmupSeconds },
        spec,
        spec.rates[0]!,
        rooms,
        paths,
        members,
        all,
        pools,
        addMember,
      );
      await sleep(ctx.restMs);
    }
    let lastOk: number | null = null;
    let lastFail: number | null = null;
    // A target slower than the ladder's first rate (a cluster on one core) is walked down by
    // halving, a few times, so it still gets a sustained figure.
    let halvings = 0;
    let bisections = 0;
    const queue = [...spec.rates];
    while (queue.length) {
      const rate = queue.shift()!;
      let step = await runStep(ctx, spec, rate, rooms, paths, members, all, pools, addMember);
      result.steps.push(step);
      ctx.log(`  ${spec.name} @ ${rate} posts/s: ${fmtStep(step)}`);
      // One retry for a step that failed on latency alone: on a shared machine a single stall
      // elsewhere can push p99 over the line; a real limit fails twice.
      if (
        !step.sustained &&
        step.lost + step.duplicated + step.outOfOrder + step.rejected === 0 &&
        !all.some((c) => c.closed)
      ) {
        await sleep(ctx.restMs);
        step = await runStep(ctx, spec, rate, rooms, paths, members, all, pools, addMember);
        step.retry = true;
        result.steps.push(step);
        ctx.log(`  ${spec.name} @ ${rate} posts/s (retry): ${fmtStep(step)}`);
      }
      if (all.some((c) => c.closed)) {
        result.error = 'a connection was closed by the server during the step';
        break;
      }
      if (step.sustained) {
        lastOk = Math.max(lastOk ?? 0, rate);
        if (!result.best || step.deliveredPerS > result.best.deliveredPerS) result.best = step;
      } else {
        lastFail = Math.min(lastFail ?? Infinity, rate);
        if (lastOk === null && halvings < 4 && rate > 1) {
          halvings++;
          queue.length = 0;
          queue.push(Math.max(1, Math.round(rate / 2)));
        } else queue.length = 0;
      }
      // Once the limit is bracketed, narrow it geometrically to within BISECT_RESOLUTION, so a
      // ratio between two servers is not an artefact of a ladder that doubles.
      if (
        !queue.length &&
        lastOk !== null &&
        lastFail !== null &&
        lastFail / lastOk > BISECT_RESOLUTION &&
        bisections < MAX_BISECTIONS
      ) {
        const mid = Math.round(Math.sqrt(lastOk * lastFail));
        if (mid > lastOk && mid < lastFail) {
          bisections++;
          queue.push(mid);
        }
      }
      if (!queue.length) result.ladderTopReached = lastFail === null;
      if (queue.length) await sleep(ctx.restMs);
    }
  } catch (e) {
    result.error = (e as Error).message;
    ctx.log(`  ${spec.name}: ERROR ${result.error}`);
  } finally {
    for (const p of pools) p.close();
    await openAll(all, (c) => c.close(), 256);
  }
  return result;
}

async function runStep(
  ctx: BenchContext,
  spec: LadderSpec,
  rate: number,
  rooms: string[],
  paths: string[],
  members: WsConn[][],
  all: WsConn[],
  pools: HttpPool[],
  addMember: (roomIdx: number) => Promise<WsConn>,
): Promise<StepResult> {
  const planned = Math.max(1, Math.min(MAX_PER_STEP, Math.round(rate * ctx.stepSeconds)));
  // Publishers: WebSocket posts come from room members (a WS post goes to its own room), at most
  // PER_SOURCE_RATE each; when a room has too few members for the rate, extra members join it.
  const publishers: WsConn[] = [];
  if (spec.post === 'ws') {
    const perRoom = Math.ceil(Math.ceil(rate / PER_SOURCE_RATE) / rooms.length);
    const extra: number[] = [];
    for (let r = 0; r < rooms.length; r++) for (let k = members[r]!.length; k < perRoom; k++) extra.push(r);
    await openAll(extra, async (r) => void (await addMember(r)));
    for (let k = 0; k < perRoom; k++) for (let r = 0; r < rooms.length; r++) publishers.push(members[r]![k]!);
  } else {
    // Each node's pool gets connections for its share of the rooms' posts.
    const roomsOn = pools.map(() => 0);
    for (let r = 0; r < rooms.length; r++) roomsOn[nodeForPosts(pools.length, r)]!++;
    pools.forEach(
      (p, j) => roomsOn[j]! > 0 && p.grow(Math.ceil((rate * roomsOn[j]!) / rooms.length / PER_SOURCE_RATE)),
    );
    await Promise.all(pools.map((p) => p.warm()));
  }
  const postPool = rooms.map((_, r) => pools[nodeForPosts(pools.length, r)]!);
  const step = new Step(planned);
  all.forEach((c, i) => (c.id = i));
  step.attach(all);

  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const cpu0 = ctx.probe.cpuMs();
  const parts0 = ctx.probe.partsCpuMs?.();
  const redis0 = (await ctx.probe.redisUsec?.()) ?? null;
  const busy0 = machineBusyMs();
  const client0 = process.cpuUsage();
  const t0 = now();
  let inflight = 0;
  const fire =
    spec.post === 'ws'
      ? (i: number) => {
          const pub = publishers[i % publishers.length]!;
          step.markSent(i, pub.roomIdx, members[pub.roomIdx]!.length, pub.id);
          pub.send(postBody(step.tag, i));
        }
      : (i: number) => {
          const r = i % rooms.length;
          step.markSent(i, r, members[r]!.length);
          const sentAt = now();
          inflight++;
          postPool[r]!.request('POST', paths[r]!, postBody(step.tag, i), (res) => {
            inflight--;
            const t = now();
            if (!(res instanceof Error) && res.status === 200) {
              step.accepted[i] = 1;
              step.lastAcceptAt = t;
              step.response.add(t - sentAt);
            } else {
              const kind = res instanceof Error ? res.message : `HTTP ${res.status}`;
              step.failures[kind] = (step.failures[kind] ?? 0) + 1;
              step.rejected++;
              step.expected -= members[r]!.length;
            }
          });
        };
  const { seconds } = await pace(rate, planned, fire);
  // CPU is read over the offered-load window only; the drain would dilute it.
  const t1 = now();
  const cpu1 = ctx.probe.cpuMs();
  const parts1 = ctx.probe.partsCpuMs?.();
  const client1 = process.cpuUsage(client0);
  const busy1 = machineBusyMs();
  loop.disable();
  // Drain: wait while deliveries still make progress, so "lost" means never delivered and not
  // merely late (lateness is what p99 reports).
  const hardStop = now() + MAX_DRAIN_MS;
  let progressAt = now();
  let seen = -1;
  while (now() < hardStop && (inflight > 0 || step.deliveries < step.expected)) {
    if (step.deliveries !== seen) {
      seen = step.deliveries;
      progressAt = now();
    } else if (now() - progressAt > ctx.drainMs) break;
    await sleep(10);
  }
  step.detach();
  // Per post, CPU counts until the drain ends: at saturation the server is still working off
  // the offered window's backlog after it, and only busy time is counted anyway.
  const cpuDrained = ctx.probe.cpuMs();
  const partsDrained = ctx.probe.partsCpuMs?.();
  const redis1 = (await ctx.probe.redisUsec?.()) ?? null;

  const accepted = step.acceptedCount();
  const totals = step.totals();
  const lost = step.lost();
  const latency = step.latency.summary();
  const response = spec.post === 'http' ? step.response.summary() : null;
  const sendRate = planned / Math.max(seconds, 1e-3);
  const deliverWindow = (step.lastDeliveryAt - step.firstSendAt) / 1000;
  const acceptWindow = (step.lastAcceptAt - step.firstSendAt) / 1000;
  const wall = (t1 - t0) / 1000;
  const reasons: string[] = [];
  if (lost) reasons.push(`${lost} lost`);
  if (totals.duplicated) reasons.push(`${totals.duplicated} duplicated`);
  if (totals.outOfOrder) reasons.push(`${totals.outOfOrder} out of order`);
  if (step.rejected) reasons.push(`${step.rejected} refused`);
  if (latency.p99 === null || latency.p99 >= P99_LIMIT_MS) reasons.push(`delivery p99 ${latency.p99} ms`);
  if (response && (response.p99 === null || response.p99 >= P99_LIMIT_MS))
    reasons.push(`response p99 ${response.p99} ms`);
  if (sendRate < 0.95 * rate) reasons.push(`generator offered only ${Math.round(sendRate)}/s`);
  return {
    offeredPostsPerS: rate,
    sent: step.sent,
    accepted,
    rejected: step.rejected,
    lost,
    duplicated: totals.duplicated,
    outOfOrder: totals.outOfOrder,
    members: all.length,
    publishers: spec.post === 'ws' ? publishers.length : 0,
    httpConnections: spec.post === 'http' ? pools.reduce((n, p) => n + p.size, 0) : 0,
    sendRate: Math.round(sendRate),
    acceptedPerS: acceptWindow > 0 ? Math.round(accepted / acceptWindow) : 0,
    deliveries: step.deliveries,
    deliveredPerS: deliverWindow > 0 ? Math.round(step.deliveries / deliverWindow) : 0,
    latency,
    response,
    serverCpuPct: cpu0 !== null && cpu1 !== null ? round(((cpu1 - cpu0) / (t1 - t0)) * 100, 0) : null,
    ...(parts0 && parts1 ? { serverCpuParts: cpuParts(parts0, parts1, t1 - t0) } : {}),
    ...(parts0 && partsDrained && step.sent
      ? { serverCpuUsPerPostParts: usPerPost(parts0, partsDrained, step.sent) }
      : {}),
    ...(redis0 && redis1 && step.sent
      ? {
          redisUsPerPost: round((redis1.scriptUsec - redis0.scriptUsec) / step.sent, 1),
          redisScriptUsPerCall:
            redis1.scriptCalls > redis0.scriptCalls
              ? round((redis1.scriptUsec - redis0.scriptUsec) / (redis1.scriptCalls - redis0.scriptCalls), 1)
              : null,
        }
      : {}),
    serverCpuUsPerPost:
      cpu0 !== null && cpuDrained !== null && step.sent
        ? round(((cpuDrained - cpu0) * 1000) / step.sent, 1)
        : null,
    clientCpuPct: round(((client1.user + client1.system) / 1000 / (wall * 1000)) * 100, 0) ?? 0,
    clientLoopMaxMs: round(loop.max / 1e6, 1) ?? 0,
    otherCpuPct:
      cpu0 !== null && cpu1 !== null
        ? Math.max(
            0,
            round(
              ((busy1 - busy0 - (cpu1 - cpu0) - (client1.user + client1.system) / 1000) / (t1 - t0)) * 100,
              0,
            ) ?? 0,
          )
        : null,
    failures: step.failures,
    sustained: reasons.length === 0,
    why: reasons.join(', '),
  };
}

function usPerPost(
  a: Record<string, number | null>,
  b: Record<string, number | null>,
  posts: number,
): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const k of Object.keys(a)) {
    const x = a[k];
    const y = b[k];
    out[k] = x != null && y != null ? round(((y - x) * 1000) / posts, 1) : null;
  }
  return out;
}

function cpuParts(
  a: Record<string, number | null>,
  b: Record<string, number | null>,
  ms: number,
): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const k of Object.keys(a)) {
    const x = a[k];
    const y = b[k];
    out[k] = x != null && y != null ? round(((y - x) / ms) * 100, 0) : null;
  }
  return out;
}

export function fmtStep(s: StepResult): string {
  const parts = [
    `${s.deliveredPerS.toLocaleString('en-US')} deliveries/s`,
    `p50 ${s.latency.p50} p99 ${s.latency.p99} ms`,
    s.response ? `resp p99 ${s.response.p99} ms, ${s.acceptedPerS.toLocaleString('en-US')} accepted/s` : '',
    `lost ${s.lost} dup ${s.duplicated} ooo ${s.outOfOrder}`,
    `cpu server ${s.serverCpuPct ?? '?'}%${
      s.serverCpuParts
        ? ` [${Object.entries(s.serverCpuParts)
            .map(([k, v]) => `${k} ${v ?? '?'}%`)
            .join(', ')}]`
        : ''
    } (${s.serverCpuUsPerPost ?? '?'} µs/post${
      s.serverCpuUsPerPostParts
        ? ` = ${Object.entries(s.serverCpuUsPerPostParts)
            .map(([k, v]) => `${k} ${v ?? '?'}`)
            .join(' + ')}`
        : ''
    })${s.redisUsPerPost !== undefined ? ` redis ${s.redisUsPerPost} µs/post, script ${s.redisScriptUsPerCall ?? '?'} µs/call` : ''} client ${s.clientCpuPct}% (loop max ${s.clientLoopMaxMs} ms) other ${s.otherCpuPct ?? '?'}%`,
    s.sustained ? 'OK' : `NOT sustained (${s.why})`,
  ];
  return parts.filter(Boolean).join(' | ');
}
