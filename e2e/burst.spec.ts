/**
 * A burst of small messages must not freeze the tab that receives them: 2,000 messages are posted
 * over the relay's HTTP API from node while a room is open, and the page's long tasks are
 * recorded with PerformanceObserver('longtask'). Every message must be applied (cached in
 * IndexedDB) and the newest one shown. The relay on a shared test machine posts far slower than
 * a busy room can, so the tab's WebSocket is routed through the test, which holds the relay's
 * frames back while posting and then delivers them all at once: the worst burst a tab can get.
 */
import type { Page } from '@playwright/test';
import { test, expect, createRoom, bubble } from './fixtures.js';
import { startRelay, type TestRelay } from '../test-support/relay.js';
import { parseRoomLink } from '../protocol/roomUrl.js';
import { sealText } from '../protocol/crypto.js';
import { DB_NAME } from '../web/src/storage/db.js';

const N = 2000;
const IN_FLIGHT = 16;
/**
 * Messages are applied at most every 100 ms, so one task handles a few dozen of them: well under
 * 50 ms per message (110–530 ms measured on a two-core machine shared at load 13–20).
 */
const LONGEST_TASK_BOUND_MS = 1000;

let relay: TestRelay;
test.beforeAll(async () => {
  // The per-address and global post budgets would throttle one address posting this fast.
  relay = await startRelay({
    webDir: 'dist/web',
    limits: {
      rateBucketCapacity: 100_000,
      rateBucketRefillPerS: 100_000,
      globalBucketCapacity: 100_000,
      globalBucketRefillPerS: 100_000,
    },
  });
});
test.afterAll(async () => {
  await relay.close();
});

async function cachedFrames(page: Page, roomId: string): Promise<number> {
  return page.evaluate(
    async ({ dbName, roomId }) => {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open(dbName);
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const n = await new Promise<number>((res, rej) => {
        const q = db.transaction('frames').objectStore('frames').index('by_room').count(roomId);
        q.onsuccess = () => res(q.result);
        q.onerror = () => rej(q.error);
      });
      db.close();
      return n;
    },
    { dbName: DB_NAME, roomId },
  );
}

test('a burst of 2,000 messages keeps the receiving tab responsive and shows every message', async ({
  newPage,
}) => {
  // Posting 2,000 messages through the relay is most of it, and slow on a shared machine.
  test.setTimeout(240_000);
  let held: Array<() => void> | null = null;
  const page = await newPage({
    init: (p) =>
      p.routeWebSocket(/\/ws/, (ws) => {
        const server = ws.connectToServer();
        server.onMessage((m) => (held ? held.push(() => ws.send(m)) : ws.send(m)));
        ws.onMessage((m) => server.send(m));
      }),
  });
  const url = await createRoom(page, relay);
  const parsed = parseRoomLink(url);
  if (!parsed.ok) throw new Error(parsed.message);
  const { roomId, key } = parsed.link;
  await page.evaluate(() => {
    const w = window as unknown as { longTasks: number[] };
    w.longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.longTasks.push(e.duration);
    }).observe({ type: 'longtask' });
  });

  held = [];
  let next = 0;
  const worker = async () => {
    while (next < N) {
      const i = next++;
      const res = await fetch(`${relay.url}/api/rooms/${roomId}/messages`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ sender: `burst-agent-${i % 5}`, ...sealText(`burst message ${i}`, key) }),
      });
      expect(res.status).toBe(200);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await expect.poll(() => held?.length ?? 0).toBeGreaterThanOrEqual(N);
  const release = held;
  held = null;
  const t0 = Date.now();
  for (const deliver of release) deliver();

  await expect(bubble(page, `burst message ${N - 1}`)).toBeVisible({ timeout: 60_000 });
  await expect.poll(() => cachedFrames(page, roomId), { timeout: 60_000 }).toBe(N);
  // Reported, not asserted: most of it is the routing, and it follows the machine's load
  // (8–18 s batched; 27 s with a store copy per message, on the same machine).
  const caughtUpMs = Date.now() - t0;
  const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
  const longest = Math.max(0, ...longTasks);
  test.info().annotations.push({
    type: 'burst',
    description: `${N} frames delivered at once, all shown and cached after ${caughtUpMs} ms; ${longTasks.length} long tasks, longest ${Math.round(longest)} ms, total ${Math.round(longTasks.reduce((a, b) => a + b, 0))} ms`,
  });
  expect(longest).toBeLessThanOrEqual(LONGEST_TASK_BOUND_MS);
});
