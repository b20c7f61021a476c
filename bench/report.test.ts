import { describe, expect, it } from 'vitest';
import { checkTargets, median, table, type Round } from './report.js';
import type { LadderResult, StepResult } from './scenarios/ladder.js';
import type { SuiteResult } from './scenarios/suite.js';

const latency = (p50: number, p99: number) => ({ samples: 1000, p50, p90: p99, p99, max: p99 });

function step(perS: number, p99: number, lost = 0): StepResult {
  return {
    offeredPostsPerS: perS,
    sent: perS * 3,
    accepted: perS * 3,
    rejected: 0,
    lost,
    duplicated: 0,
    outOfOrder: 0,
    members: 20,
    publishers: 0,
    httpConnections: 10,
    sendRate: perS,
    acceptedPerS: perS,
    deliveries: perS * 3,
    deliveredPerS: perS,
    latency: latency(1, p99),
    response: latency(1, p99),
    serverCpuPct: 90,
    serverCpuUsPerPost: 30,
    clientCpuPct: 50,
    clientLoopMaxMs: 2,
    otherCpuPct: 0,
    failures: {},
    sustained: true,
    why: '',
  };
}

function ingest(perS: number, lost = 0): LadderResult {
  const best = step(perS, 30, lost);
  return {
    name: 'ingest-http',
    rooms: 20,
    subsPerRoom: 1,
    post: 'http',
    steps: [best],
    best,
    ladderTopReached: false,
  };
}

function suite(ingestPerS: number, rttMs: number, lost = 0): SuiteResult {
  return {
    roundTrip: [
      {
        transport: 'ws',
        samples: 1000,
        latency: latency(rttMs, 0.4),
        lost: 0,
        duplicated: 0,
        outOfOrder: 0,
        rejected: 0,
      },
    ],
    ladders: [ingest(ingestPerS, lost)],
    idle: null,
  };
}

const round = (relay: SuiteResult, baseline: SuiteResult): Round => ({ relay, baseline });
const find = (checks: ReturnType<typeof checkTargets>, prefix: string) =>
  checks.find((c) => c.target.startsWith(prefix))!;

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([0.9, 0.72, 0.84])).toBe(0.84);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });
});

describe('checkTargets over rounds', () => {
  it('judges a ratio on the median of the per-round ratios, not on the one unlucky pair', () => {
    const rounds = [
      round(suite(25_930, 0.161), suite(36_194, 0.124)),
      round(suite(30_705, 0.123), suite(36_648, 0.11)),
      round(suite(30_260, 0.118), suite(33_607, 0.107)),
    ];
    const checks = checkTargets(rounds);
    const ing = find(checks, 'ingest-http');
    expect(ing.met).toBe(true);
    // 0.72, 0.84, 0.90: the median is the second run's.
    expect(ing.detail).toContain('×0.84');
    expect(ing.detail).toContain('0.72, 0.84, 0.90');
    const rtt = find(checks, 'rtt-ws');
    expect(rtt.met).toBe(true);
    expect(rtt.detail).toContain('1.30, 1.12, 1.10');
  });

  it('fails a ratio whose median is below the bar, even when one round passes', () => {
    const rounds = [
      round(suite(25_000, 0.2), suite(36_000, 0.1)),
      round(suite(33_000, 0.1), suite(34_000, 0.1)),
      round(suite(26_000, 0.2), suite(35_000, 0.1)),
    ];
    const checks = checkTargets(rounds);
    expect(find(checks, 'ingest-http').met).toBe(false);
    expect(find(checks, 'rtt-ws').met).toBe(false);
  });

  it('requires the absolute conditions in every round: a loss anywhere fails the integrity target', () => {
    const rounds = [
      round(suite(30_000, 0.1), suite(31_000, 0.1)),
      round(suite(30_000, 0.1, 1), suite(31_000, 0.1)),
    ];
    const checks = checkTargets(rounds);
    expect(find(checks, 'zero lost').met).toBe(false);
    expect(find(checks, 'zero lost').detail).toContain('lost 1');
    expect(find(checks, 'HTTP ingest ≥ 10,000').met).toBe(true);
  });

  it('without a baseline, reports the ratio targets as unknown', () => {
    const checks = checkTargets([{ relay: suite(30_000, 0.1) }]);
    expect(find(checks, 'ingest-http').met).toBeNull();
  });
});

describe('table over rounds', () => {
  it('shows each target’s median, the median ratio, and every round’s ratio', () => {
    const rounds = [
      round(suite(25_930, 0.161), suite(36_194, 0.124)),
      round(suite(30_705, 0.123), suite(36_648, 0.11)),
      round(suite(30_260, 0.118), suite(33_607, 0.107)),
    ];
    const text = table(rounds);
    const line = text.split('\n').find((l) => l.startsWith('HTTP ingest'))!;
    expect(line).toContain('30,260');
    expect(line).toContain('36,194');
    expect(line).toContain('0.84');
    expect(line).toContain('0.72 0.84 0.90');
    expect(text).toContain('integrity (relay, 3 rounds): lost 0');
  });
});
