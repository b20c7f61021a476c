/** The scenario list and the order they run in, for one target. */
import { runIdle, type IdleResult } from './idle.js';
import { runLadder, type LadderResult } from './ladder.js';
import {
  runRoundTrip,
  runRoundTripsPaired,
  WARMUP,
  type RoundTripResult,
  type Transport,
} from './roundtrip.js';
import type { BenchContext } from './context.js';
import { roomCount, settleRooms } from './settle.js';

export const SCENARIOS = ['rtt', 'fanout', 'rooms', 'ingest', 'idle'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

const TRANSPORTS: Transport[] = ['ws', 'sse', 'longpoll'];

/** `--quick` is a smoke test: a tenth of the warm-up, so it stays a minute long. */
const rttWarmup = (quick: boolean) => (quick ? WARMUP / 10 : WARMUP);

export interface SuiteOptions {
  scenarios: ScenarioName[];
  fanout: number[];
  quick: boolean;
  rttSamples: number;
  idle: number;
  /** The ingest ladder's rates, when given: one rate measures CPU per post at a fixed load. */
  ingestRates?: number[];
}

export interface SuiteResult {
  roundTrip: RoundTripResult[];
  ladders: LadderResult[];
  idle: IdleResult | null;
}

/** Deliveries per second to aim each ladder at, doubling; posts/s = deliveries / fan-out. */
function deliveryLadder(quick: boolean): number[] {
  return quick ? [20_000, 80_000, 320_000] : [20_000, 40_000, 80_000, 160_000, 320_000, 640_000, 1_280_000];
}

/** One scenario run, which adds its figures to `out`. */
export interface Unit {
  /** What to wait for on a shared process before the unit starts. */
  settle: 'none' | 'rooms' | 'idle';
  run(ctx: BenchContext, out: SuiteResult): Promise<void>;
  /** The same on several targets running at once, taking turns (figures into `outs[i]`). */
  runPaired?(ctxs: BenchContext[], outs: SuiteResult[]): Promise<void>;
}

export function emptyResult(): SuiteResult {
  return { roundTrip: [], ladders: [], idle: null };
}

/** The selected scenarios as units, in the order they run. */
export function suiteUnits(o: SuiteOptions): Unit[] {
  const has = (s: ScenarioName) => o.scenarios.includes(s);
  const units: Unit[] = [];
  if (has('rtt')) {
    units.push({
      settle: 'none',
      async run(ctx, out) {
        ctx.log('round trip at low load');
        for (const t of TRANSPORTS)
          out.roundTrip.push(await runRoundTrip(ctx, t, o.rttSamples, rttWarmup(o.quick)));
      },
      async runPaired(ctxs, outs) {
        ctxs[0]?.log(`round trip at low load, ${ctxs.length} targets taking turns`);
        for (const t of TRANSPORTS)
          (await runRoundTripsPaired(ctxs, t, o.rttSamples, rttWarmup(o.quick))).forEach((r, i) =>
            outs[i]!.roundTrip.push(r),
          );
      },
    });
  }
  if (has('fanout')) {
    for (const n of o.fanout) {
      for (const post of ['ws', 'http'] as const) {
        units.push({
          settle: 'none',
          async run(ctx, out) {
            ctx.log(`fan-out: 1 room × ${n} subscribers, posts over ${post}`);
            const rates = deliveryLadder(o.quick).map((d) => Math.max(1, Math.round(d / n)));
            out.ladders.push(
              await runLadder(ctx, { name: `fanout-${n}-${post}`, rooms: 1, subsPerRoom: n, post, rates }),
            );
          },
        });
      }
    }
  }
  if (has('rooms')) {
    for (const post of ['ws', 'http'] as const) {
      units.push({
        settle: 'rooms',
        async run(ctx, out) {
          ctx.log(`200 rooms × 2 subscribers, posts over ${post}`);
          const rates = deliveryLadder(o.quick).map((d) => Math.round(d / 2));
          out.ladders.push(
            await runLadder(ctx, { name: `rooms-200x2-${post}`, rooms: 200, subsPerRoom: 2, post, rates }),
          );
        },
      });
    }
  }
  if (has('ingest')) {
    units.push({
      settle: 'rooms',
      async run(ctx, out) {
        ctx.log('HTTP ingest: 20 rooms × 1 verifying subscriber');
        const rates =
          o.ingestRates ?? (o.quick ? [5_000, 20_000] : [2_500, 5_000, 10_000, 20_000, 40_000, 80_000]);
        out.ladders.push(
          await runLadder(ctx, { name: 'ingest-http', rooms: 20, subsPerRoom: 1, post: 'http', rates }),
        );
      },
    });
  }
  if (has('idle')) {
    units.push({
      settle: 'idle',
      async run(ctx, out) {
        ctx.log(`idle WebSockets: ${o.idle}`);
        out.idle = await runIdle(ctx, o.idle);
      },
    });
  }
  return units;
}

/**
 * Every unit on one running target (`--url`), one after the other on the same process, waiting
 * between them for the target to evict the previous unit's rooms. Targets the bench starts
 * itself get a fresh process per unit instead (run.ts).
 */
export async function runSuite(ctx: BenchContext, o: SuiteOptions): Promise<SuiteResult> {
  const out = emptyResult();
  // Rooms the target held before this run (other users, earlier runs): the floor to settle to.
  const floor = await roomCount(ctx);
  for (const unit of suiteUnits(o)) {
    if (unit.settle !== 'none') await settleRooms(ctx, floor, unit.settle === 'idle');
    await unit.run(ctx, out);
  }
  return out;
}
