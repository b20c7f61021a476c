/**
 * Keeps the harness honest: tiny bounded versions of the scenarios against a real relay and a
 * real two-node cluster on redis-server, which must come back with every message delivered
 * exactly once and in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, startRelay, type TestRelay } from '../test-support/relay.js';
import { connectHost, parseLoopbackUrl, SourcePool } from './lib/loopback.js';
import { findListeningPid, ServerProbe } from './lib/server.js';
import { nodeForMember, nodeForPosts, nodesOf, type BenchContext } from './scenarios/context.js';
import { runLadder } from './scenarios/ladder.js';
import { runRoundTrip, runRoundTripsPaired } from './scenarios/roundtrip.js';

let relay: TestRelay;
let ctx: BenchContext;
let cluster: TestRelay[] = [];
let cctx: BenchContext;

function contextFor(urls: string[]): BenchContext {
  const nodes = nodesOf(urls.map(parseLoopbackUrl), connectHost);
  return {
    ...nodes[0]!,
    nodes,
    sources: new SourcePool(nodes[0]!.base),
    probe: new ServerProbe(findListeningPid(nodes[0]!.port)),
    stepSeconds: 1,
    drainMs: 2000,
    warmupSeconds: 0,
    restMs: 0,
    log: () => {},
  };
}

beforeAll(async () => {
  // A single relay even when the suite runs in cluster mode: the cluster case is below.
  relay = await startRelay({ redisUrl: null });
  ctx = contextFor([relay.url]);
  cluster = await startCluster();
  cctx = contextFor(cluster.map((n) => n.url));
});

afterAll(async () => {
  await relay?.close();
  await Promise.all(cluster.map((n) => n.close()));
});

describe('bench harness', () => {
  it('fans 50 WebSocket posts out to 5 subscribers with nothing lost, doubled or reordered', async () => {
    const r = await runLadder(ctx, {
      name: 'test-fanout',
      rooms: 1,
      subsPerRoom: 5,
      post: 'ws',
      rates: [50],
    });
    expect(r.error).toBeUndefined();
    const s = r.steps[0]!;
    expect(s.sent).toBe(50);
    expect(s.accepted).toBe(50);
    expect(s.deliveries).toBe(250);
    expect({
      lost: s.lost,
      duplicated: s.duplicated,
      outOfOrder: s.outOfOrder,
      rejected: s.rejected,
    }).toEqual({ lost: 0, duplicated: 0, outOfOrder: 0, rejected: 0 });
    expect(s.latency.samples).toBe(250);
  });

  it('ingests 200 HTTP posts across 4 rooms, each delivered once and in order to its room', async () => {
    const r = await runLadder(ctx, {
      name: 'test-ingest',
      rooms: 4,
      subsPerRoom: 1,
      post: 'http',
      rates: [200],
    });
    expect(r.error).toBeUndefined();
    const s = r.steps[0]!;
    expect(s.accepted).toBe(200);
    expect(s.deliveries).toBe(200);
    expect(s.httpConnections).toBeGreaterThanOrEqual(3);
    expect({
      lost: s.lost,
      duplicated: s.duplicated,
      outOfOrder: s.outOfOrder,
      rejected: s.rejected,
    }).toEqual({ lost: 0, duplicated: 0, outOfOrder: 0, rejected: 0 });
    expect(s.response?.samples).toBe(200);
  });

  it('spreads a room over the nodes and posts through another node than its first member', () => {
    expect([0, 1, 2, 3].map((k) => nodeForMember(2, 0, k))).toEqual([0, 1, 0, 1]);
    expect([0, 1].map((k) => nodeForMember(2, 7, k))).toEqual([1, 0]);
    for (let r = 0; r < 4; r++) expect(nodeForPosts(2, r)).not.toBe(nodeForMember(2, r, 0));
    expect(nodeForMember(1, 5, 3)).toBe(0);
    expect(nodeForPosts(1, 5)).toBe(0);
  });

  it('across two nodes on Redis: WebSocket fan-out and HTTP posts arrive once each, in order', async () => {
    expect(cctx.nodes).toHaveLength(2);
    // Observed, not intercepted: which node each subscriber's upgrade reached.
    const upgrades = [0, 0];
    cluster.forEach((n, i) => n.relay.server.on('upgrade', () => upgrades[i]!++));
    const ws = await runLadder(cctx, {
      name: 'test-cl-fanout',
      rooms: 1,
      subsPerRoom: 6,
      post: 'ws',
      rates: [60],
    });
    expect(ws.error).toBeUndefined();
    const a = ws.steps[0]!;
    expect(a.accepted).toBe(60);
    expect(a.deliveries).toBe(360);
    expect({
      lost: a.lost,
      duplicated: a.duplicated,
      outOfOrder: a.outOfOrder,
      rejected: a.rejected,
    }).toEqual({ lost: 0, duplicated: 0, outOfOrder: 0, rejected: 0 });
    expect(upgrades).toEqual([3, 3]);

    const http = await runLadder(cctx, {
      name: 'test-cl-rooms',
      rooms: 4,
      subsPerRoom: 2,
      post: 'http',
      rates: [200],
    });
    expect(http.error).toBeUndefined();
    const b = http.steps[0]!;
    expect(b.accepted).toBe(200);
    expect(b.deliveries).toBe(400);
    expect({
      lost: b.lost,
      duplicated: b.duplicated,
      outOfOrder: b.outOfOrder,
      rejected: b.rejected,
    }).toEqual({ lost: 0, duplicated: 0, outOfOrder: 0, rejected: 0 });
    expect(upgrades).toEqual([7, 7]);
  });

  it('times round trips from one node to the other on every transport', async () => {
    for (const t of ['ws', 'sse', 'longpoll'] as const) {
      const r = await runRoundTrip(cctx, t, 20, 20);
      expect(r.error, t).toBeUndefined();
      expect(r.latency.samples, t).toBe(20);
      expect(
        { lost: r.lost, duplicated: r.duplicated, outOfOrder: r.outOfOrder, rejected: r.rejected },
        t,
      ).toEqual({ lost: 0, duplicated: 0, outOfOrder: 0, rejected: 0 });
    }
  });

  it('times round trips on two targets taking turns, every sample on each', async () => {
    // The single relay and the cluster stand in for the relay and the baseline of --spawn both.
    for (const t of ['ws', 'sse', 'longpoll'] as const) {
      const [a, b] = await runRoundTripsPaired([ctx, cctx], t, 30, 10);
      for (const r of [a!, b!]) {
        expect(r.error, t).toBeUndefined();
        expect(r.latency.samples, t).toBe(30);
        expect(
          { lost: r.lost, duplicated: r.duplicated, outOfOrder: r.outOfOrder, rejected: r.rejected },
          t,
        ).toEqual({ lost: 0, duplicated: 0, outOfOrder: 0, rejected: 0 });
      }
    }
  });

  it('refuses targets that are not loopback', () => {
    expect(() => parseLoopbackUrl('http://10.0.0.1:4100')).toThrow(/non-loopback/);
    expect(() => parseLoopbackUrl('http://example.com')).toThrow(/non-loopback/);
    expect(parseLoopbackUrl('http://[::1]:4100').port).toBe('4100');
    expect(parseLoopbackUrl('http://127.3.4.5:80').hostname).toBe('127.3.4.5');
  });
});
