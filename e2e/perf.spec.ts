/**
 * Issue 6, web part: a room with 2,000 cached messages opens and scrolls smoothly.
 *
 * The room's IndexedDB cache is seeded with 2,000 sealed frames in the app's own schema (the
 * page's `bot2bot-web` database, created by the app on first open), then the page is reloaded.
 * We record navigation → first frame showing cached messages (the app's `room-cache-rendered`
 * mark), long tasks and frame intervals while scrolling from the newest message to the oldest,
 * for the windowed list (the default) and, for comparison, with every message rendered. The
 * numbers go to bench/results/web-room-2000.json when WEB_PERF_RESULTS=1 (test-results/ otherwise);
 * only functional outcomes are asserted.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { test, expect, createRoom, bubble } from './fixtures.js';
import { parseRoomLink } from '../protocol/roomUrl.js';
import { sealText } from '../protocol/crypto.js';
import { DB_NAME, type StoredFrame } from '../web/src/storage/db.js';

const N = 2000;
const SENDERS = ['visitor-oak-AB12', '@alice', 'research-agent', '@build-bot', 'visitor-fern-ZZ9'];
const idOf = (i: number) => `perf-msg-${String(i).padStart(4, '0')}`;

function textOf(i: number): string {
  if (i % 10 === 3) return `Build log ${i}:\n\`\`\`\nnpm run build\n✓ built in ${i % 900}ms\n\`\`\``;
  if (i % 7 === 0)
    return `Checklist ${i}:\n- **first** item with \`code\`\n- second item [docs](https://example.com/${i})\n- third`;
  return `message ${String(i).padStart(4, '0')}: ${'lorem ipsum dolor sit amet '.repeat(1 + (i % 4))}`.trim();
}

function frames(roomId: string, key: Uint8Array): StoredFrame[] {
  const t0 = Date.now() - N * 30_000;
  return Array.from({ length: N }, (_, i) => {
    const f: StoredFrame = {
      roomId,
      id: idOf(i),
      seq: i + 1,
      sender: SENDERS[i % SENDERS.length]!,
      sender_verified: SENDERS[i % SENDERS.length]!.startsWith('@'),
      ts: t0 + i * 30_000,
      ...sealText(textOf(i), key),
    };
    if (i % 9 === 5 && i > 20) f.reply_to = idOf(i - 1 - (i % 13));
    return f;
  });
}

async function seed(page: Page, all: StoredFrame[], roomId: string): Promise<void> {
  await page.evaluate(
    async ({ dbName, all, roomId }) => {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open(dbName);
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const tx = db.transaction(['frames', 'rooms'], 'readwrite');
      for (const f of all) tx.objectStore('frames').put(f);
      tx.objectStore('rooms').put({ roomId, lastSeq: all.length, openedAt: Date.now() });
      await new Promise<void>((res, rej) => {
        tx.oncomplete = () => res();
        tx.onerror = () => rej(tx.error);
      });
      db.close();
    },
    { dbName: DB_NAME, all, roomId },
  );
}

interface Run {
  mode: string;
  /** Distinct messages that were rendered at some point while scrolling to the top. */
  seenWhileScrolling: number;
  /** The most bubbles in the DOM at once (the window's cap when virtualized). */
  maxRendered: number;
  domContentLoadedMs: number;
  cacheReadMs: number;
  cacheLoadedMs: number;
  firstRenderMs: number;
  renderedAtOpen: number;
  domNodesAtOpen: number;
  scroll: {
    durationMs: number;
    frames: number;
    frameP50Ms: number;
    frameP95Ms: number;
    frameMaxMs: number;
    longTasks: number;
    longTaskMaxMs: number;
    longTaskTotalMs: number;
  };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : 0;
};

async function openAndMeasure(page: Page, url: string, mode: string): Promise<Run> {
  // A full load every time (a hash-only change would not reload the app).
  await page.goto('about:blank');
  await page.goto(url);
  await expect(bubble(page, 'message 1999')).toBeVisible({ timeout: 30_000 });
  await page.waitForFunction(() => performance.getEntriesByName('room-cache-rendered').length > 0);
  const open = await page.evaluate(() => ({
    script: performance.getEntriesByType('navigation')[0]
      ? (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming)
          .domContentLoadedEventEnd
      : 0,
    read: performance.getEntriesByName('room-cache-read')[0]!.startTime,
    loaded: performance.getEntriesByName('room-cache-decrypted')[0]!.startTime,
    rendered: performance.getEntriesByName('room-cache-rendered')[0]!.startTime,
    bubbles: document.querySelectorAll('article.bubble').length,
    nodes: document.getElementsByTagName('*').length,
  }));
  // Scroll from the newest message to the oldest with the wheel, as a reader would.
  await page.locator('.messages').hover();
  await page.evaluate(() => {
    const w = window as unknown as { __perf: { frames: number[]; long: number[]; stop: boolean } };
    w.__perf = { frames: [], long: [], stop: false };
    new PerformanceObserver((l) => l.getEntries().forEach((e) => w.__perf.long.push(e.duration))).observe({
      type: 'longtask',
    });
    let last = performance.now();
    const tick = (t: number) => {
      w.__perf.frames.push(t - last);
      last = t;
      if (!w.__perf.stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const started = Date.now();
  const seenIds = new Set<string>();
  let maxRendered = 0;
  for (let i = 0; i < 1000; i++) {
    await page.mouse.wheel(0, -900);
    await page.waitForTimeout(16);
    const st = await page.evaluate(() => {
      const el = document.querySelector<HTMLElement>('.messages')!;
      const ids = Array.from(
        el.querySelectorAll<HTMLElement>('article.bubble[data-msg-id]'),
        (b) => b.dataset.msgId!,
      );
      return { done: el.scrollTop <= 0 && el.dataset.start === '0', ids };
    });
    st.ids.forEach((id) => seenIds.add(id));
    maxRendered = Math.max(maxRendered, st.ids.length);
    if (st.done) break;
  }
  const durationMs = Date.now() - started;
  await page.waitForTimeout(300);
  const sc = await page.evaluate(() => {
    const w = window as unknown as { __perf: { frames: number[]; long: number[]; stop: boolean } };
    w.__perf.stop = true;
    return { frames: w.__perf.frames.slice(1), long: w.__perf.long };
  });
  return {
    mode,
    seenWhileScrolling: seenIds.size,
    maxRendered,
    domContentLoadedMs: Math.round(open.script),
    cacheReadMs: Math.round(open.read),
    cacheLoadedMs: Math.round(open.loaded),
    firstRenderMs: Math.round(open.rendered),
    renderedAtOpen: open.bubbles,
    domNodesAtOpen: open.nodes,
    scroll: {
      durationMs,
      frames: sc.frames.length,
      frameP50Ms: Math.round(pct(sc.frames, 50) * 10) / 10,
      frameP95Ms: Math.round(pct(sc.frames, 95) * 10) / 10,
      frameMaxMs: Math.round(Math.max(0, ...sc.frames)),
      longTasks: sc.long.length,
      longTaskMaxMs: Math.round(Math.max(0, ...sc.long)),
      longTaskTotalMs: Math.round(sc.long.reduce((a, b) => a + b, 0)),
    },
  };
}

test('a room with 2,000 cached messages opens, scrolls to its first message and jumps', async ({
  relay,
  newPage,
}) => {
  test.setTimeout(180_000);
  const page = await newPage({ viewport: { width: 1280, height: 800 } });
  const url = await createRoom(page, relay);
  const parsed = parseRoomLink(url);
  if (!parsed.ok) throw new Error(parsed.message);
  const { roomId, key } = parsed.link;
  await seed(page, frames(roomId, key), roomId);

  const runs: Run[] = [];
  // PERF_MODES=windowed PERF_REPS=1 for a quick look; the defaults produce the reported file.
  const modes = (process.env.PERF_MODES ?? 'windowed,full').split(',');
  const reps = Number(process.env.PERF_REPS ?? 3);
  for (const mode of modes) {
    await page.evaluate(
      (m) =>
        m === 'full'
          ? localStorage.setItem('bot2bot:list-window', '100000')
          : localStorage.removeItem('bot2bot:list-window'),
      mode,
    );
    // The all-rendered comparison is slow to scroll through; one run of it is enough.
    for (
      let rep = 0;
      rep < (mode === 'full' ? Math.min(reps, Number(process.env.PERF_FULL_REPS ?? 1)) : reps);
      rep++
    ) {
      const run = await openAndMeasure(page, url, mode);
      runs.push(run);
      // Functional: every cached message was rendered on the way up (all of them at once in
      // full mode), the window stayed bounded, and the top is the oldest message.
      const list = page.locator('.messages');
      await expect(list).toHaveAttribute('data-total', String(N));
      await expect(list).toHaveAttribute('data-start', '0');
      expect(run.seenWhileScrolling).toBe(N);
      if (mode === 'windowed') expect(run.maxRendered).toBeLessThanOrEqual(400);
      else expect(run.renderedAtOpen).toBe(N);
      await expect(page.locator('article.bubble').first()).toHaveAttribute('data-msg-id', idOf(0));
      await expect(bubble(page, 'message 0001')).toBeInViewport();
    }
  }
  await page.evaluate(() => localStorage.removeItem('bot2bot:list-window'));

  // The windowed list still lands permalinks and search hits far outside its first window.
  await page.goto('about:blank');
  await page.goto(`${url}&m=${idOf(2)}`);
  await expect(page.locator(`#msg-${idOf(2)}`)).toBeInViewport({ timeout: 10_000 });
  await expect(page).toHaveURL(url);
  await page.keyboard.press('Control+k');
  const dlg = page.getByRole('dialog', { name: 'Search messages' });
  await dlg.getByRole('searchbox').fill('message 0011');
  await dlg.getByRole('button', { name: /message 0011/ }).click();
  await expect(page.locator(`#msg-${idOf(11)}`)).toBeInViewport();
  // Far from the newest messages, one press brings them back; new messages then stick to the bottom.
  await page.getByRole('button', { name: 'Latest messages ↓' }).click();
  await expect(bubble(page, 'message 1999')).toBeInViewport();
  await expect(page.locator('.messages')).toHaveAttribute('data-end', String(N));
  await page.locator('#composer-input').fill('live after 2000');
  await page.locator('#composer-input').press('Enter');
  await expect(bubble(page, 'live after 2000')).toBeInViewport();

  const summary = (mode: string) => {
    const r = runs.filter((x) => x.mode === mode);
    const med = (f: (x: Run) => number) => pct(r.map(f), 50);
    return {
      firstRenderMsMedian: med((x) => x.firstRenderMs),
      domContentLoadedMsMedian: med((x) => x.domContentLoadedMs),
      cacheReadMsMedian: med((x) => x.cacheReadMs),
      cacheLoadedMsMedian: med((x) => x.cacheLoadedMs),
      scrollLongTaskMaxMsMedian: med((x) => x.scroll.longTaskMaxMs),
      scrollFrameP95MsMedian: med((x) => x.scroll.frameP95Ms),
    };
  };
  if (process.env.PERF_MODES) {
    console.log(JSON.stringify(runs, null, 1));
    console.log(
      await page.evaluate(() =>
        JSON.stringify(
          performance
            .getEntriesByType('mark')
            .map((m) => [m.name, Math.round(m.startTime)])
            .concat(
              performance
                .getEntriesByType('resource')
                .filter((r) => r.name.endsWith('.js'))
                .map((r) => [
                  r.name.split('/').pop()!,
                  Math.round(r.startTime),
                  Math.round((r as PerformanceResourceTiming).responseEnd),
                ]),
            ),
        ),
      ),
    );
    return;
  }
  // The suite measures beside other tests, so its figures only replace the committed ones when
  // asked to (WEB_PERF_RESULTS=1, with the spec run alone); otherwise they go to test-results/.
  const out = process.env.WEB_PERF_RESULTS === '1' ? 'bench/results' : 'test-results';
  mkdirSync(out, { recursive: true });
  writeFileSync(
    `${out}/web-room-2000.json`,
    JSON.stringify(
      {
        scenario:
          'web app: open a room with 2,000 messages cached in IndexedDB, then wheel-scroll to the oldest',
        browser: `Chromium ${page.context().browser()?.version()} (headless, --disable-gpu), 1280x800`,
        command: 'npm run build:web && WEB_PERF_RESULTS=1 npx playwright test e2e/perf.spec.ts --workers=1',
        measuredAt: new Date().toISOString(),
        messages: N,
        notes: [
          'firstRenderMs: navigation start to the first animation frame after cached messages were committed (performance mark room-cache-rendered).',
          'domContentLoadedMs: navigation start to DOMContentLoaded; cacheReadMs: to the IndexedDB read of all frames (mark room-cache-read); cacheLoadedMs: to decrypt + classification of all 2,000 frames (mark room-cache-decrypted), before rendering.',
          'windowed = the default list (newest 120 rendered, 40 more per step near either end, at most 360 in the DOM); full = every message rendered at once (localStorage bot2bot:list-window=100000), for comparison.',
          'scroll: wheel steps of 900 px every ~16 ms until the oldest message is rendered and scrollTop is 0; longTasks from PerformanceObserver(longtask), frames from requestAnimationFrame deltas; seenWhileScrolling counts distinct messages rendered on the way.',
        ],
        summary: { windowed: summary('windowed'), full: summary('full') },
        runs,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(JSON.stringify({ windowed: summary('windowed'), full: summary('full') }));
});
