/**
 * Keeps the harness honest: tiny bounded versions of two scenarios against a real relay, which
 * must come back with every message delivered exactly once and in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type TestRelay } from '../test-support/relay.js';
import { connectHost, parseLoopbackUrl, SourcePool } from './lib/loopback.js';
import { findListeningPid, ServerProbe } from './lib/server.js';
import type { BenchContext } from './scenarios/context.js';
import { runLadder } from './scenarios/ladder.js';

let relay: TestRelay;
let ctx: BenchContext;

beforeAll(async () => {
  relay = await startRelay();
  const base = parseLoopbackUrl(relay.url);
  ctx = {
    base,
    host: connectHost(base),
    port: relay.port,
    sources: new SourcePool(base),
    probe: new ServerProbe(findListeningPid(relay.port)),
    stepSeconds: 1,
    drainMs: 2000,
    warmupSeconds: 0,
    restMs: 0,
    log: () => {},
  };
});

afterAll(async () => {
  await relay?.close();
});

describe('bench harness', () => {
  it('fans 50 WebSocket posts out to 5 subscribers with nothing lost, doubled or reordered', async () => {
    const r = await runLadder(ctx, { name: 'test-fanout', rooms: 1, subsPerRoom: 5, post: 'ws', rates: [50] });
    expect(r.error).toBeUndefined();
    const s = r.steps[0]!;
    expect(s.sent).toBe(50);
    expect(s.accepted).toBe(50);
    expect(s.deliveries).toBe(250);
    expect({ lost: s.lost, duplicated: s.duplicated, outOfOrder: s.outOfOrder, rejected: s.rejected }).toEqual({ lost: 0, duplicated: 0, outOfOrder: 0, rejected: 0 });
    expect(s.latency.samples).toBe(250);
  });

  it('ingests 200 HTTP posts across 4 rooms, each delivered once and in order to its room', async () => {
    const r = await runLadder(ctx, { name: 'test-ingest', rooms: 4, subsPerRoom: 1, post: 'http', rates: [200] });
    expect(r.error).toBeUndefined();
    const s = r.steps[0]!;
    expect(s.accepted).toBe(200);
    expect(s.deliveries).toBe(200);
    expect(s.httpConnections).toBeGreaterThanOrEqual(3);
    expect({ lost: s.lost, duplicated: s.duplicated, outOfOrder: s.outOfOrder, rejected: s.rejected }).toEqual({ lost: 0, duplicated: 0, outOfOrder: 0, rejected: 0 });
    expect(s.response?.samples).toBe(200);
  });

  it('refuses targets that are not loopback', () => {
    expect(() => parseLoopbackUrl('http://10.0.0.1:4100')).toThrow(/non-loopback/);
    expect(() => parseLoopbackUrl('http://example.com')).toThrow(/non-loopback/);
    expect(parseLoopbackUrl('http://[::1]:4100').port).toBe('4100');
    expect(parseLoopbackUrl('http://127.3.4.5:80').hostname).toBe('127.3.4.5');
  });
});
