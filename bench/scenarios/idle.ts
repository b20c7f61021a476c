/**
 * Idle WebSockets: open N connections (20 per room, one source address each), read the server's
 * resident memory before and after, and report memory per connection. Then one post per room
 * proves every connection is still live: each must receive exactly its room's message.
 * Against a cluster the connections alternate over the nodes and memory is the sum of every
 * process of the target (nodes and Redis).
 */
import { HttpPool } from '../lib/httpPool.js';
import { now, postBody } from '../lib/payload.js';
import { round, sleep } from '../lib/stats.js';
import { Step } from '../lib/tracker.js';
import { openAll, WsConn } from '../lib/wsClient.js';
import { nodeForMember, nodeForPosts, roomId, runTag, type BenchContext } from './context.js';

export const PER_ROOM = 20;

export interface IdleResult {
  requested: number;
  opened: number;
  rooms: number;
  connectSeconds: number;
  rssBeforeKiB: number | null;
  rssAfterKiB: number | null;
  bytesPerConnection: number | null;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  error?: string;
}

export async function runIdle(ctx: BenchContext, n: number): Promise<IdleResult> {
  const roomsN = Math.ceil(n / PER_ROOM);
  const rooms = Array.from({ length: roomsN }, (_, i) => roomId('idle', runTag, i));
  const out: IdleResult = {
    requested: n,
    opened: 0,
    rooms: roomsN,
    connectSeconds: 0,
    rssBeforeKiB: null,
    rssAfterKiB: null,
    bytesPerConnection: null,
    lost: 0,
    duplicated: 0,
    outOfOrder: 0,
  };
  const conns: WsConn[] = [];
  const pools = ctx.nodes.map((x) => new HttpPool(x.host, x.port, ctx.sources));
  try {
    await sleep(1000);
    out.rssBeforeKiB = ctx.probe.rssKiB();
    const t0 = now();
    let lastLog = t0;
    await openAll(
      Array.from({ length: n }, (_, i) => i),
      async (i) => {
        const c = new WsConn();
        c.roomIdx = i % roomsN;
        c.id = i;
        const node = ctx.nodes[nodeForMember(ctx.nodes.length, c.roomIdx, Math.floor(i / roomsN))]!;
        await c.open({
          base: node.base,
          host: node.host,
          room: rooms[c.roomIdx]!,
          localAddress: ctx.sources.take(),
          timeoutMs: 30_000,
        });
        conns.push(c);
        if (now() - lastLog > 5000) {
          lastLog = now();
          ctx.log(`  idle: ${conns.length}/${n} open, server RSS ${ctx.probe.rssKiB() ?? '?'} KiB`);
        }
      },
      128,
    );
    out.opened = conns.length;
    out.connectSeconds = round((now() - t0) / 1000, 1) ?? 0;
    // Let presence frames and allocator churn settle before reading memory.
    await sleep(3000);
    out.rssAfterKiB = ctx.probe.rssKiB();
    if (out.rssBeforeKiB !== null && out.rssAfterKiB !== null)
      out.bytesPerConnection = Math.round(((out.rssAfterKiB - out.rssBeforeKiB) * 1024) / conns.length);

    const step = new Step(roomsN);
    step.attach(conns);
    for (const p of pools) p.grow(Math.ceil(Math.min(256, roomsN) / pools.length));
    let pending = roomsN;
    await new Promise<void>((resolve) => {
      for (let r = 0; r < roomsN; r++) {
        step.markSent(r, r, PER_ROOM);
        pools[nodeForPosts(pools.length, r)]!.request(
          'POST',
          `/api/rooms/${rooms[r]}/messages`,
          postBody(step.tag, r),
          (res) => {
            if (!(res instanceof Error) && res.status === 200) step.accepted[r] = 1;
            else step.rejected++;
            if (--pending === 0) resolve();
          },
        );
      }
    });
    const deadline = now() + 10_000;
    while (now() < deadline && step.deliveries < conns.length) await sleep(20);
    const t = step.totals();
    out.lost = step.lost();
    out.duplicated = t.duplicated;
    out.outOfOrder = t.outOfOrder;
    step.detach();
  } catch (e) {
    out.error = `${(e as Error).message} (after ${conns.length} connections)`;
  } finally {
    for (const p of pools) p.close();
    const t0 = now();
    for (const c of conns) c.terminate();
    ctx.log(`  idle: closed ${conns.length} in ${Math.round(now() - t0)} ms`);
    await sleep(2000);
  }
  ctx.log(
    `  idle: ${out.opened} connections, ${out.bytesPerConnection ?? '?'} B/conn (RSS ${out.rssBeforeKiB} → ${out.rssAfterKiB} KiB) | lost ${out.lost} dup ${out.duplicated} ooo ${out.outOfOrder}${out.error ? ` | ERROR ${out.error}` : ''}`,
  );
  return out;
}
