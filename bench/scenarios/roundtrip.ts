/**
 * Round trip at low load, per transport: one message at a time, the next only after the
 * previous arrived (plus a short gap), so what is timed is the relay's path and not queueing.
 *  - ws:       post over the WebSocket, time until the same socket receives the echo;
 *  - sse:      post over HTTP, time until the SSE stream delivers it;
 *  - longpoll: post over HTTP, time until the parked /wait answers with it.
 * Against a cluster the receiver is on the first node and every post goes through the second
 * (for ws: a second socket in the room posts, the first one's delivery is timed), so each
 * sample crosses the nodes' shared backend.
 */
import http from 'node:http';
import { HttpConn } from '../lib/httpConn.js';
import { now, postBody } from '../lib/payload.js';
import { sleep, type LatencySummary } from '../lib/stats.js';
import { deliver, Receiver, scanMessage, Step } from '../lib/tracker.js';
import { WsConn } from '../lib/wsClient.js';
import {
  nodeForPosts,
  PER_SOURCE_RATE,
  roomId,
  runTag,
  type BenchContext,
  type BenchNode,
} from './context.js';

export type Transport = 'ws' | 'sse' | 'longpoll';

export interface RoundTripResult {
  transport: Transport;
  samples: number;
  latency: LatencySummary;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  rejected: number;
  error?: string;
}

/** Between samples: short enough that neither side's CPU drops into an idle state between them. */
const GAP_MS = 2;
/**
 * Senders taking turns, each from its own source address, so none posts more than
 * PER_SOURCE_RATE per second. With one sender the relay's per-(IP, room) bucket ran dry within
 * a second, and each refused sample stalled the loop for SAMPLE_TIMEOUT_MS (the baseline has no
 * limits to hit): the figures then compared a throttled relay with an unthrottled baseline.
 */
const SENDERS = Math.ceil(1000 / GAP_MS / PER_SOURCE_RATE);
const SAMPLE_TIMEOUT_MS = 2000;
/**
 * Unrecorded round trips first, so JIT warm-up and connection set-up are not in the figures.
 * Every target is freshly started for this scenario, and V8 optimizes a function only after
 * thousands of calls: after 300 warm-ups the relay's longer path was still partly unoptimized
 * (median 0.28–0.30 ms on a fresh relay, 0.14–0.23 ms on the same one a minute later, where the
 * baseline's shorter path was already at its steady 0.17–0.19 ms). With 2,000 the relay's p99
 * was still 2–3× the baseline's; 5,000 (about 12 s per transport) brought both to steady state.
 */
export const WARMUP = 5000;

/**
 * One transport's round-trip set-up on one target: its connections, the room, and a warm-up
 * step then a measured step. `measure(from, to)` runs a slice of the measured samples, so
 * several targets can take turns (runRoundTripsPaired).
 */
export class RoundTrip {
  private step: Step;
  private readonly real: Step;
  private receivers: Receiver[] = [];
  private receiverOf: (i: number) => Receiver = () => {
    throw new Error('not open');
  };
  private send: (i: number) => Promise<void> = async () => {};
  private crossWs = false;
  private readonly cleanups: Array<() => void | Promise<void>> = [];
  error: string | undefined;

  private constructor(
    private readonly ctx: BenchContext,
    readonly transport: Transport,
    readonly samples: number,
    warmup: number,
  ) {
    this.step = new Step(Math.max(1, warmup));
    this.real = new Step(samples);
  }

  /** Connections, room and receivers; then `warmup` unrecorded round trips. Never throws: see `error`. */
  static async open(
    ctx: BenchContext,
    transport: Transport,
    samples: number,
    warmup = WARMUP,
  ): Promise<RoundTrip> {
    const rt = new RoundTrip(ctx, transport, samples, warmup);
    try {
      await rt.connect();
      await rt.run(rt.step, 0, rt.step.planned);
      rt.step = rt.real;
      rt.real.attach(rt.receivers);
    } catch (e) {
      rt.error = (e as Error).message;
    }
    return rt;
  }

  /** Measured samples from..to-1 (of 0..samples-1). */
  async measure(from: number, to: number): Promise<void> {
    if (this.error) return;
    try {
      await this.run(this.real, from, Math.min(to, this.samples));
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  async close(): Promise<RoundTripResult> {
    await sleep(50);
    const step = this.real;
    const totals = step.totals();
    const out: RoundTripResult = {
      transport: this.transport,
      samples: this.samples,
      latency: step.latency.summary(),
      lost: this.error ? 0 : step.lost(),
      duplicated: totals.duplicated,
      outOfOrder: totals.outOfOrder,
      rejected: step.rejected,
    };
    if (this.error) out.error = this.error;
    this.step.detach();
    for (const c of this.cleanups) await c();
    this.ctx.log(
      `  rtt ${this.transport}${this.ctx.name ? ` (${this.ctx.name})` : ''}: p50 ${out.latency.p50} p99 ${out.latency.p99} ms over ${out.latency.samples} | lost ${out.lost} dup ${out.duplicated} ooo ${out.outOfOrder}${out.error ? ` | ERROR ${out.error}` : ''}`,
    );
    return out;
  }

  private async run(step: Step, from: number, to: number): Promise<void> {
    for (let i = from; i < to; i++) {
      await this.send(i);
      const r = this.receiverOf(i);
      const deadline = now() + SAMPLE_TIMEOUT_MS;
      while (!r.seen[i] && now() < deadline) await sleep(0.2);
      if (this.crossWs && r.seen[i]) step.accepted[i] = 1;
      await sleep(GAP_MS);
    }
  }

  private async connect(): Promise<void> {
    const { ctx, transport } = this;
    const room = roomId(`rtt-${transport}`, runTag, 0);
    const recvNode = ctx.nodes[0]!;
    const postNode = ctx.nodes[nodeForPosts(ctx.nodes.length, 0)]!;
    const crossNode = recvNode !== postNode;
    const posters = Array.from(
      { length: SENDERS },
      () => new HttpConn(postNode.host, postNode.port, ctx.sources.take()),
    );
    for (const p of posters) this.cleanups.push(() => p.close());
    // Create the room first (a /wait on a missing room answers at once instead of parking).
    const first = await posters[0]!.request('POST', `/api/rooms/${room}/messages`, postBody(0, 0));
    if (first.status !== 200) throw new Error(`first post: HTTP ${first.status} ${first.body.slice(0, 200)}`);
    const httpPost = async (i: number) => {
      const step = this.step;
      step.markSent(i, 0, 1);
      const res = await posters[i % SENDERS]!.request(
        'POST',
        `/api/rooms/${room}/messages`,
        postBody(step.tag, i),
      );
      if (res.status === 200) step.accepted[i] = 1;
      else step.rejected++;
    };

    if (transport === 'ws') {
      const open = async (node: BenchNode, roomName: string, roomIdx: number) => {
        const ws = new WsConn();
        await ws.open({ base: node.base, host: node.host, room: roomName, localAddress: ctx.sources.take() });
        this.cleanups.push(() => ws.close());
        ws.roomIdx = roomIdx;
        return ws;
      };
      if (crossNode) {
        // One receiver on the first node; senders on the other take turns in the same room.
        const ws = await open(recvNode, room, 0);
        ws.id = 0;
        const pubs: WsConn[] = [];
        for (let k = 0; k < SENDERS; k++) pubs.push(await open(postNode, room, 0));
        this.crossWs = true;
        this.receivers = [ws];
        this.receiverOf = () => ws;
        this.send = async (i) => {
          // A post refused by the other node is never seen and counts as lost.
          this.step.markSent(i, 0, 1, -1);
          pubs[i % SENDERS]!.send(postBody(this.step.tag, i));
        };
      } else {
        // Each sender in a room of its own, timing its own echo: the per-room bucket is its own.
        const socks: WsConn[] = [];
        for (let k = 0; k < SENDERS; k++)
          socks.push(await open(recvNode, roomId(`rtt-${transport}`, runTag, k + 1), k));
        socks.forEach((ws, k) => (ws.id = k));
        this.receivers = socks;
        this.receiverOf = (i) => socks[i % SENDERS]!;
        this.send = async (i) => {
          // The publisher's own echo proves acceptance.
          const k = i % SENDERS;
          this.step.markSent(i, k, 1, k);
          socks[k]!.send(postBody(this.step.tag, i));
        };
      }
    } else if (transport === 'sse') {
      const sse = await openSse(ctx, recvNode, room);
      this.cleanups.push(() => sse.close());
      this.receivers = [sse.receiver];
      this.receiverOf = () => sse.receiver;
      this.send = httpPost;
    } else {
      const lp = startLongPoll(ctx, recvNode, room);
      this.cleanups.push(() => lp.stop());
      this.receivers = [lp.receiver];
      this.receiverOf = () => lp.receiver;
      // The waiter has to be parked before the first post or the first sample measures setup.
      await sleep(50);
      this.send = async (i) => {
        await lp.parked();
        await httpPost(i);
      };
    }
    this.step.attach(this.receivers);
  }
}

/** Round trips on one target. */
export async function runRoundTrip(
  ctx: BenchContext,
  transport: Transport,
  samples: number,
  warmup = WARMUP,
): Promise<RoundTripResult> {
  const rt = await RoundTrip.open(ctx, transport, samples, warmup);
  await rt.measure(0, samples);
  return rt.close();
}

/** The measured samples of a paired run come in this many turns per target. */
const PAIRED_TURNS = 10;

/**
 * Round trips on several targets at once, taking turns: every target is set up and warmed up,
 * then each measures a tenth of its samples in turn (the order alternating), ten times over.
 * At 0.15–0.3 ms a sample, a transient on a shared machine lasts longer than a whole run of one
 * transport on one target, so a relay measured a minute after its baseline could come out 1.5×
 * slower or faster by luck; in turns, both see the same machine.
 */
export async function runRoundTripsPaired(
  ctxs: BenchContext[],
  transport: Transport,
  samples: number,
  warmup = WARMUP,
): Promise<RoundTripResult[]> {
  const rts: RoundTrip[] = [];
  for (const ctx of ctxs) rts.push(await RoundTrip.open(ctx, transport, samples, warmup));
  const per = Math.ceil(samples / PAIRED_TURNS);
  for (let turn = 0; turn < PAIRED_TURNS; turn++) {
    for (const rt of turn % 2 === 0 ? rts : [...rts].reverse())
      await rt.measure(turn * per, (turn + 1) * per);
  }
  const out: RoundTripResult[] = [];
  for (const rt of rts) out.push(await rt.close());
  return out;
}

/** An SSE subscriber over node:http, from its own source address. */
function openSse(
  ctx: BenchContext,
  node: BenchNode,
  room: string,
): Promise<{ receiver: Receiver; close(): void }> {
  const receiver = new Receiver();
  const scan = { seq: 0, ct24: '' };
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: node.host,
        port: node.port,
        path: `/api/rooms/${room}/events`,
        localAddress: ctx.sources.take(),
        agent: false,
      },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`SSE: HTTP ${res.statusCode}`));
        res.setEncoding('utf8');
        let buf = '';
        let ready = false;
        res.on('data', (chunk: string) => {
          buf += chunk;
          let end: number;
          while ((end = buf.indexOf('\n\n')) >= 0) {
            const event = buf.slice(0, end);
            buf = buf.slice(end + 2);
            for (const line of event.split('\n')) {
              if (!line.startsWith('data: ')) continue;
              const data = line.slice(6);
              if (scanMessage(data, scan)) deliver(receiver, 0, scan.seq, scan.ct24);
              else if (!ready && data.includes('"type":"ready"')) {
                ready = true;
                resolve({ receiver, close: () => req.destroy() });
              }
            }
          }
        });
        res.on('error', () => {});
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => reject(new Error('SSE: no ready frame within 10 s')));
  });
}

/** A /wait loop: re-parks right after each answer, resuming from the newest seq it saw. */
function startLongPoll(
  ctx: BenchContext,
  node: BenchNode,
  room: string,
): { receiver: Receiver; parked(): Promise<void>; stop(): void } {
  const receiver = new Receiver();
  const conn = new HttpConn(node.host, node.port, ctx.sources.take());
  let stopped = false;
  let after = 0;
  let issuedAt = 0;
  const loop = async () => {
    while (!stopped) {
      issuedAt = now();
      let res;
      try {
        res = await conn.request('GET', `/api/rooms/${room}/wait?after=${after}&timeout=30`);
      } catch {
        if (!stopped) await sleep(50);
        continue;
      }
      issuedAt = 0;
      if (res.status !== 200) {
        await sleep(50);
        continue;
      }
      const body = JSON.parse(res.body) as {
        messages?: Array<{ seq: number; ciphertext: string }>;
        last_seq?: number;
      };
      for (const m of body.messages ?? []) {
        deliver(receiver, 0, m.seq, m.ciphertext.slice(0, 24));
        if (m.seq > after) after = m.seq;
      }
      // A missing room answers at once: the first post creates it.
      if (!body.messages?.length && (body as { exists?: boolean }).exists === false) await sleep(5);
    }
  };
  void loop();
  return {
    receiver,
    // Parked = a request has been outstanding for a moment; the server answers an early one
    // at once anyway (seq > after), so this only keeps samples honest, never loses one.
    async parked() {
      const deadline = now() + 1000;
      while (now() < deadline && !(issuedAt > 0 && now() - issuedAt > 1)) await sleep(0.5);
    },
    stop() {
      stopped = true;
      conn.close();
    },
  };
}
