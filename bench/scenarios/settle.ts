/**
 * Waiting for the target to let go of a finished scenario's rooms. Every room keeps up to 2000
 * messages after its subscribers leave, until the relay evicts it (30 s grace, then the next
 * janitor pass), and the relay refuses posts with 503 once all rooms together hold its global
 * buffer limit (512 MiB by default). Two 200-room ladders back to back come close to that, so a
 * scenario could measure the previous one's leftovers instead of the relay. Targets that report
 * a room count on /api/health are given time to evict; others (the baseline) are not waited for.
 */
import { HttpConn } from '../lib/httpConn.js';
import { now } from '../lib/payload.js';
import { sleep } from '../lib/stats.js';
import type { BenchContext } from './context.js';

const MAX_WAIT_MS = 90_000;
/** Rooms of small scenarios (round trips, fan-out) hold a few MiB at most: not worth a wait. */
const SLACK_ROOMS = 50;

/** The target's room count from /api/health, or null when it does not report one. */
export async function roomCount(ctx: BenchContext): Promise<number | null> {
  const conn = new HttpConn(ctx.host, ctx.port, ctx.sources.take());
  try {
    const res = await conn.request('GET', '/api/health');
    if (res.status !== 200) return null;
    const body = JSON.parse(res.body) as { rooms?: unknown };
    return typeof body.rooms === 'number' ? body.rooms : null;
  } catch {
    return null;
  } finally {
    conn.close();
  }
}

/**
 * Wait (bounded) until the target holds at most `base` rooms, plus a few unless `exact` (before
 * measuring memory, where an eviction during the measurement would hide what connections cost).
 * Returns seconds waited.
 */
export async function settleRooms(ctx: BenchContext, base: number | null, exact = false): Promise<number> {
  if (base === null) return 0;
  const floor = base + (exact ? 0 : SLACK_ROOMS);
  const t0 = now();
  let n = await roomCount(ctx);
  if (n === null || n <= floor) return 0;
  ctx.log(`  waiting for the target to evict ${n - floor} finished rooms (at most ${MAX_WAIT_MS / 1000} s)`);
  while (n !== null && n > floor && now() - t0 < MAX_WAIT_MS) {
    await sleep(1000);
    n = await roomCount(ctx);
  }
  const waited = Math.round((now() - t0) / 1000);
  ctx.log(`  ${n !== null && n > floor ? `still ${n - floor} rooms after` : 'settled in'} ${waited} s`);
  return waited;
}
