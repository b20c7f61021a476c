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
import { nodeForPosts, roomId, runTag, type BenchContext, type BenchNode } from './context.js';

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

const GAP_MS = 2;
const SAMPLE_TIMEOUT_MS = 2000;
/** Unrecorded round trips first, so JIT warm-up and connection set-up are not in the figures. */
const WARMUP = 30;

export async function runRoundTrip(ctx: BenchContext, transport: Transport, samples: number): Promise<RoundTripResult> {
  const room = roomId(`rtt-${transport}`, runTag, 0);
  const warm = new Step(WARMUP);
  let step = warm;
  const real = new Step(samples);
  const out: RoundTripResult = { transport, samples, latency: step.latency.summary(), lost: 0, duplicated: 0, outOfOrder: 0, rejected: 0 };
  const recvNode = ctx.nodes[0]!;
  const postNode = ctx.nodes[nodeForPosts(ctx.nodes.length, 0)]!;
  const crossNode = recvNode !== postNode;
  const poster = new HttpConn(postNode.host, postNode.port, ctx.sources.take());
  const cleanups: Array<() => void | Promise<void>> = [() => poster.close()];
  try {
    // Create the room first (a /wait on a missing room answers at once instead of parking).
    const first = await poster.request('POST', `/api/rooms/${room}/messages`, postBody(0, 0));
    if (first.status !== 200) throw new Error(`first post: HTTP ${first.status} ${first.body.slice(0, 200)}`);
    let receiver: Receiver;
    let waitFor: (i: number) => Promise<void>;
    const arrived = (r: Receiver, i: number) => async () => {
      const deadline = now() + SAMPLE_TIMEOUT_MS;
      while (!r.seen[i] && now() < deadline) await sleep(0.2);
    };
    let send: (i: number) => Promise<void>;
    const httpPost = async (i: number) => {
      step.markSent(i, 0, 1);
      const res = await poster.request('POST', `/api/rooms/${room}/messages`, postBody(step.tag, i));
      if (res.status === 200) step.accepted[i] = 1;
      else step.rejected++;
    };

    if (transport === 'ws') {
      const ws = new WsConn();
      await ws.open({ base: recvNode.base, host: recvNode.host, room, localAddress: ctx.sources.take() });
      cleanups.push(() => ws.close());
      ws.id = 0;
      receiver = ws;
      step.attach([ws]);
      let pub = ws;
      if (crossNode) {
        pub = new WsConn();
        await pub.open({ base: postNode.base, host: postNode.host, room, localAddress: ctx.sources.take() });
        cleanups.push(() => pub.close());
      }
      send = async (i) => {
        // Single node: the publisher's own echo proves acceptance. Cluster: the receiver's copy
        // does (below); a post refused by the other node is never seen and counts as lost.
        step.markSent(i, 0, 1, crossNode ? -1 : 0);
        pub.send(postBody(step.tag, i));
      };
    } else if (transport === 'sse') {
      const sse = await openSse(ctx, recvNode, room);
      cleanups.push(() => sse.close());
      receiver = sse.receiver;
      step.attach([receiver]);
      send = httpPost;
    } else {
      const lp = startLongPoll(ctx, recvNode, room);
      cleanups.push(() => lp.stop());
      receiver = lp.receiver;
      step.attach([receiver]);
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
        real.attach([receiver]);
      }
      for (let i = 0; i < phase.planned; i++) {
        await send(i);
        waitFor = arrived(receiver, i);
        await waitFor(i);
        if (transport === 'ws' && crossNode && receiver.seen[i]) step.accepted[i] = 1;
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
