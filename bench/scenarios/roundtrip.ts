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
import { nodeForPosts, PER_SOURCE_RATE, roomId, runTag, type BenchContext, type BenchNode } from './context.js';

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
 * On a freshly started server 30 were too few for the relay's longer path to be optimized.
 */
const WARMUP = 300;

export async function runRoundTrip(ctx: BenchContext, transport: Transport, samples: number): Promise<RoundTripResult> {
  const room = roomId(`rtt-${transport}`, runTag, 0);
  const warm = new Step(WARMUP);
  let step = warm;
  const real = new Step(samples);
  const out: RoundTripResult = { transport, samples, latency: step.latency.summary(), lost: 0, duplicated: 0, outOfOrder: 0, rejected: 0 };
  const recvNode = ctx.nodes[0]!;
  const postNode = ctx.nodes[nodeForPosts(ctx.nodes.length, 0)]!;
  const crossNode = recvNode !== postNode;
  const posters = Array.from({ length: SENDERS }, () => new HttpConn(postNode.host, postNode.port, ctx.sources.take()));
  const cleanups: Array<() => void | Promise<void>> = posters.map((p) => () => p.close());
  try {
    // Create the room first (a /wait on a missing room answers at once instead of parking).
    const first = await posters[0]!.request('POST', `/api/rooms/${room}/messages`, postBody(0, 0));
    if (first.status !== 200) throw new Error(`first post: HTTP ${first.status} ${first.body.slice(0, 200)}`);
    // Who sees sample i: one receiver, or (WebSocket on one node) each sender its own echo.
    let receivers: Receiver[];
    let receiverOf: (i: number) => Receiver;
    let waitFor: (i: number) => Promise<void>;
    const arrived = (r: Receiver, i: number) => async () => {
      const deadline = now() + SAMPLE_TIMEOUT_MS;
      while (!r.seen[i] && now() < deadline) await sleep(0.2);
    };
    let send: (i: number) => Promise<void>;
    const httpPost = async (i: number) => {
      step.markSent(i, 0, 1);
      const res = await posters[i % SENDERS]!.request('POST', `/api/rooms/${room}/messages`, postBody(step.tag, i));
      if (res.status === 200) step.accepted[i] = 1;
      else step.rejected++;
    };

    if (transport === 'ws') {
      const open = async (node: BenchNode, roomName: string, roomIdx: number) => {
        const ws = new WsConn();
        await ws.open({ base: node.base, host: node.host, room: roomName, localAddress: ctx.sources.take() });
        cleanups.push(() => ws.close());
        ws.roomIdx = roomIdx;
        return ws;
      };
      if (crossNode) {
        // One receiver on the first node; senders on the other take turns in the same room.
        const ws = await open(recvNode, room, 0);
        ws.id = 0;
        const pubs: WsConn[] = [];
        for (let k = 0; k < SENDERS; k++) pubs.push(await open(postNode, room, 0));
        receivers = [ws];
        receiverOf = () => ws;
        send = async (i) => {
          // A post refused by the other node is never seen and counts as lost.
          step.markSent(i, 0, 1, -1);
          pubs[i % SENDERS]!.send(postBody(step.tag, i));
        };
      } else {
        // Each sender in a room of its own, timing its own echo: the per-room bucket is its own.
        const socks: WsConn[] = [];
        for (let k = 0; k < SENDERS; k++) socks.push(await open(recvNode, roomId(`rtt-${transport}`, runTag, k + 1), k));
        socks.forEach((ws, k) => (ws.id = k));
        receivers = socks;
        receiverOf = (i) => socks[i % SENDERS]!;
        send = async (i) => {
          // The publisher's own echo proves acceptance.
          const k = i % SENDERS;
          step.markSent(i, k, 1, k);
          socks[k]!.send(postBody(step.tag, i));
        };
      }
      step.attach(receivers);
    } else if (transport === 'sse') {
      const sse = await openSse(ctx, recvNode, room);
      cleanups.push(() => sse.close());
      receivers = [sse.receiver];
      receiverOf = () => sse.receiver;
      step.attach(receivers);
      send = httpPost;
    } else {
      const lp = startLongPoll(ctx, recvNode, room);
      cleanups.push(() => lp.stop());
      receivers = [lp.receiver];
      receiverOf = () => lp.receiver;
      step.attach(receivers);
      // The waiter has to be parked before the first post or the first sample measures setup.
      await sleep(50);
      send = async (i) => {
        await lp.parked();
        await httpPost(i);
      };
    }
    for (const phase of [warm, real]) {
      if (phase === real) {
        step = real;
        real.attach(receivers);
      }
      for (let i = 0; i < phase.planned; i++) {
        await send(i);
        waitFor = arrived(receiverOf(i), i);
        await waitFor(i);
        if (transport === 'ws' && crossNode && receiverOf(i).seen[i]) step.accepted[i] = 1;
        await sleep(GAP_MS);
      }
    }
    await sleep(50);
    const totals = step.totals();
    out.latency = step.latency.summary();
    out.lost = step.lost();
    out.duplicated = totals.duplicated;
    out.outOfOrder = totals.outOfOrder;
    out.rejected = step.rejected;
  } catch (e) {
    out.error = (e as Error).message;
  } finally {
    step.detach();
    for (const c of cleanups) await c();
  }
  ctx.log(`  rtt ${transport}: p50 ${out.latency.p50} p99 ${out.latency.p99} ms over ${out.latency.samples} | lost ${out.lost} dup ${out.duplicated} ooo ${out.outOfOrder}${out.error ? ` | ERROR ${out.error}` : ''}`);
  return out;
}

/** An SSE subscriber over node:http, from its own source address. */
function openSse(ctx: BenchContext, node: BenchNode, room: string): Promise<{ receiver: Receiver; close(): void }> {
  const receiver = new Receiver();
  const scan = { seq: 0, ct24: '' };
  return new Promise((resolve, reject) => {
    const req = http.get({ host: node.host, port: node.port, path: `/api/rooms/${room}/events`, localAddress: ctx.sources.take(), agent: false }, (res) => {
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
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => reject(new Error('SSE: no ready frame within 10 s')));
  });
}

/** A /wait loop: re-parks right after each answer, resuming from the newest seq it saw. */
function startLongPoll(ctx: BenchContext, node: BenchNode, room: string): { receiver: Receiver; parked(): Promise<void>; stop(): void } {
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
      const body = JSON.parse(res.body) as { messages?: Array<{ seq: number; ciphertext: string }>; last_seq?: number };
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
