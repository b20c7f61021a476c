/**
 * Reopening a room full of hostile content: big messages, hostile markdown, reactions with huge
 * emoji and many ordinary reactions, all posted over the HTTP API while a tab has the room open
 * (so its local cache holds them). After a reload the tab replays that cache; the longest task
 * from the cache read until everything is formatted must stay bounded. The machine is shared, so
 * the bound has margin over the 50 ms aim and the measured figure is printed.
 */
import type { Page } from '@playwright/test';
import { test, expect, createRoom } from './fixtures.js';
import { startRelay, type TestRelay } from '../test-support/relay.js';
import { parseRoomLink } from '../protocol/roomUrl.js';
import { sealText } from '../protocol/crypto.js';
import { reactEnvelope } from '../protocol/envelopes.js';

/** Aim 50 ms; 50–70 ms measured at load average 12, 86–198 ms at 27 (two shared cores): margin. */
const LONGEST_TASK_BOUND_MS = 250;
const BIG = 60;
const KIB_50 = 50 * 1024;

const ladder = (n: number, line: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => line(i)).join('\n');
const HOSTILE = [
  '[a]('.repeat(7_000),
  ladder(150, (i) => '  '.repeat(i) + '- x'),
  '>'.repeat(20_000) + ' x',
  ladder(1_000, (i) => '>'.repeat(i % 40) + ' x'),
  '| a | b | c |\n|---|---|---|\n' + '| x | y | z |\n'.repeat(3_000),
  '|a'.repeat(500) + '\n' + '|-'.repeat(500) + '\n' + '|x\n'.repeat(5_000),
  '| a | b | c |\n|---|---|---|\n' + '| x | `y` | **z** |\n'.repeat(300),
  '`a``'.repeat(7_500),
  '*a**'.repeat(7_500),
  '_a~~'.repeat(7_500),
  '[[['.repeat(4_000) + ']]]'.repeat(4_000),
  'https://example.com/x '.repeat(2_000),
];

let relay: TestRelay;
test.beforeAll(async () => {
  // One address posts a few hundred frames quickly; the post budgets would throttle it.
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

async function watchLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __long: Array<{ start: number; duration: number }> };
    w.__long = [];
    new PerformanceObserver((l) =>
      l.getEntries().forEach((e) => w.__long.push({ start: e.startTime, duration: e.duration })),
    ).observe({ type: 'longtask' });
  });
}

test('reopening a room full of hostile content keeps every task short', async ({ newPage }) => {
  test.setTimeout(240_000);
  const page = await newPage({ init: watchLongTasks });
  const url = await createRoom(page, relay);
  const parsed = parseRoomLink(url);
  if (!parsed.ok) throw new Error(parsed.message);
  const { roomId, key } = parsed.link;
  const post = async (sender: string, text: string): Promise<string> => {
    const res = await fetch(`${relay.url}/api/rooms/${roomId}/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sender, ...sealText(text, key) }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { id: string }).id;
  };

  const ids: string[] = [];
  for (let i = 0; i < BIG; i++)
    ids.push(
      await post(
        'mallory',
        `${i} ${'**bold** _it_ `code` [l](https://e.x) '.repeat(KIB_50 / 40)}`.slice(0, KIB_50),
      ),
    );
  for (const text of HOSTILE) ids.push(await post('mallory', text));
  for (let i = 0; i < BIG; i++) {
    // Over the emoji rule: dropped on receipt, never cached nor shown.
    await post('mallory', reactEnvelope(ids[i]!, '😀'.repeat(KIB_50 / 4), 'add'));
    await post(`fan${i}`, reactEnvelope(ids[i % 10]!, '👍', 'add'));
  }
  await post('@alice', reactEnvelope(ids[0]!, '🔥', 'add'));
  const total = ids.length;
  await expect(page.locator('article.bubble')).toHaveCount(total, { timeout: 60_000 });
  await expect(page.locator('.pill')).toHaveCount(11, { timeout: 30_000 });

  await page.reload();
  await expect(page.locator('article.bubble')).toHaveCount(total, { timeout: 60_000 });
  await expect(page.locator('.md-pending')).toHaveCount(0, { timeout: 60_000 });
  await expect(page.locator('.pill')).toHaveCount(11);
  const fire = page.locator('.pill', { hasText: '🔥' });
  await expect(fire).toHaveAttribute('title', '@alice (unsigned) reacted with 🔥');
  expect(await page.locator('.pill', { hasText: '😀' }).count()).toBe(0);

  const { tasks, read } = await page.evaluate(async () => {
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 50))));
    const w = window as unknown as { __long: Array<{ start: number; duration: number }> };
    return { tasks: w.__long, read: performance.getEntriesByName('room-cache-read')[0]?.startTime ?? 0 };
  });
  const before = tasks.filter((t) => t.start + t.duration <= read).map((t) => Math.round(t.duration));
  const after = tasks.filter((t) => t.start + t.duration > read).map((t) => Math.round(t.duration));
  console.log(
    `reload of ${total} messages: long tasks before the cache read (page load) ${JSON.stringify(before)} ms; from the cache read on ${JSON.stringify(after)} ms`,
  );
  expect(Math.max(0, ...after)).toBeLessThanOrEqual(LONGEST_TASK_BOUND_MS);
});
