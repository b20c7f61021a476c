/**
 * Hostile markdown: a room member posts messages built to make a markdown renderer slow (unclosed
 * links, deep nesting, huge tables, runs of delimiters). Every other member's tab must stay
 * responsive: no task longer than 50 ms while one such message arrives, the message still shown.
 */
import type { Page } from '@playwright/test';
import { test, expect, createRoom, openRoom, send, bubble } from './fixtures.js';
import { parseRoomLink } from '../protocol/roomUrl.js';
import { sealText } from '../protocol/crypto.js';

const LONG_TASK_MS = 50;

interface Case {
  name: string;
  text: string;
  /**
   * How the message shows once all of it is asked for: its text unchanged (plain text, or markdown
   * that leaves every character as text), or formatted with this many elements matching a selector.
   */
  shown: 'text' | { selector: string; count: number };
}

const ladder = (n: number, line: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => line(i)).join('\n');

const CASES: Case[] = [
  { name: 'unclosed links', text: '[a]('.repeat(22_500), shown: 'text' },
  { name: 'unclosed links below the size cap', text: '[a]('.repeat(7_000), shown: 'text' },
  { name: 'deeply nested list', text: ladder(150, (i) => '  '.repeat(i) + '- x'), shown: 'text' },
  { name: 'deeply nested quote', text: '>'.repeat(20_000) + ' x', shown: 'text' },
  { name: 'quote ladder', text: ladder(1_000, (i) => '>'.repeat(i % 40) + ' x'), shown: 'text' },
  {
    name: 'long table',
    text: '| a | b | c |\n|---|---|---|\n' + '| x | y | z |\n'.repeat(3_000),
    shown: 'text',
  },
  {
    name: 'wide table header over short rows',
    text: '|a'.repeat(500) + '\n' + '|-'.repeat(500) + '\n' + '|x\n'.repeat(5_000),
    shown: 'text',
  },
  {
    name: 'table of 300 rows',
    text: '| a | b | c |\n|---|---|---|\n' + '| x | `y` | **z** |\n'.repeat(300),
    shown: { selector: 'tr', count: 301 },
  },
  { name: 'backtick runs', text: '`a``'.repeat(7_500), shown: { selector: 'code', count: 3_749 } },
  { name: 'asterisk runs', text: '*a**'.repeat(7_500), shown: 'text' },
  { name: 'underscores and tildes', text: '_a~~'.repeat(7_500), shown: 'text' },
];

const squash = (s: string) => s.replace(/\s+/g, '');

/** The newest bubble shows the start of the message on arrival, and all of it on request. */
async function checkShown(page: Page, c: Case): Promise<void> {
  const body = page.locator('article.bubble').last().locator('.body');
  const more = body.locator('.md-more');
  const shownText = () =>
    body.evaluate((el) =>
      Array.from(el.childNodes)
        .filter((n) => !(n instanceof HTMLElement && n.classList.contains('md-more')))
        .map((n) => n.textContent)
        .join(''),
    );
  expect(squash(await shownText()).length, c.name).toBeGreaterThan(0);
  if (typeof c.shown === 'object')
    expect(await body.locator(c.shown.selector).count(), c.name).toBeGreaterThan(0);
  if (await more.count()) {
    await more.click();
    await expect(more).toHaveCount(0);
  }
  if (c.shown === 'text') expect(squash(await shownText()), c.name).toBe(squash(c.text));
  else await expect(body.locator(c.shown.selector), c.name).toHaveCount(c.shown.count);
}

async function watchLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __long: number[]; __longObs: PerformanceObserver };
    w.__long = [];
    w.__longObs = new PerformanceObserver((l) => l.getEntries().forEach((e) => w.__long.push(e.duration)));
    w.__longObs.observe({ type: 'longtask' });
  });
}

/** Long tasks since the last call, after letting the page paint twice so the last one is reported. */
async function takeLongTasks(page: Page): Promise<number[]> {
  return page.evaluate(async () => {
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 20))));
    const w = window as unknown as { __long: number[]; __longObs: PerformanceObserver };
    const taken = [...w.__long, ...w.__longObs.takeRecords().map((e) => e.duration)];
    w.__long = [];
    return taken;
  });
}

test('hostile markdown never blocks a member tab for more than 50 ms', async ({ relay, newPage }) => {
  test.setTimeout(180_000);
  const alice = await newPage({ init: watchLongTasks });
  const bob = await newPage({ init: watchLongTasks });
  const url = await createRoom(alice, relay);
  await openRoom(bob, url);
  const parsed = parseRoomLink(url);
  if (!parsed.ok) throw new Error(parsed.message);
  const { roomId, key } = parsed.link;
  const post = async (text: string) => {
    const res = await fetch(`${relay.url}/api/rooms/${roomId}/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sender: 'mallory', ...sealText(text, key) }),
    });
    expect(res.status).toBe(200);
  };
  const pages = [alice, bob];
  for (const p of pages) await takeLongTasks(p);

  // The machine running this may be shared, which stretches tasks: a message passes when one of
  // up to three deliveries of it leaves every task in both tabs within the bound. Each delivery's
  // longest task is printed.
  let count = 0;
  const best: Record<string, number> = {};
  for (const c of CASES) {
    const tries: number[] = [];
    for (let attempt = 0; attempt < 3 && !(tries.length && Math.min(...tries) <= LONG_TASK_MS); attempt++) {
      await post(c.text);
      count++;
      let longest = 0;
      for (const p of pages) {
        await expect(p.locator('article.bubble')).toHaveCount(count, { timeout: 20_000 });
        longest = Math.max(longest, ...(await takeLongTasks(p)));
      }
      tries.push(longest);
      if (attempt === 0) await checkShown(bob, c);
      for (const p of pages) await takeLongTasks(p);
    }
    best[c.name] = Math.min(...tries);
    console.log(
      `${c.name}: longest task per delivery ${tries.map((t) => `${Math.round(t)} ms`).join(', ')} (0: none over 50 ms)`,
    );
  }
  for (const c of CASES) expect(best[c.name], c.name).toBeLessThanOrEqual(LONG_TASK_MS);

  // A reload renders them all again from the local cache, each as its bounded preview.
  await bob.reload();
  await expect(bob.locator('article.bubble')).toHaveCount(count, { timeout: 20_000 });
  await expect(bob.locator('article.bubble').first().locator('.md-more')).toBeVisible();
  console.log(
    `reload with ${count} hostile messages: long tasks ${JSON.stringify((await takeLongTasks(bob)).map(Math.round))} ms`,
  );

  // Still responsive: bob writes, alice reads, and the links stayed inert.
  await send(bob, 'still here');
  await expect(bubble(alice, 'still here')).toBeVisible();
  expect(await alice.locator('.messages a').count()).toBe(0);
});

test('agent markdown renders formatted, and a link never shows a URL other than its target', async ({
  relay,
  newPage,
}) => {
  const page = await newPage();
  const url = await createRoom(page, relay);
  const parsed = parseRoomLink(url);
  if (!parsed.ok) throw new Error(parsed.message);
  const text = [
    '## Report',
    '',
    '2. second',
    '3. third',
    '',
    '- [x] built',
    '- [ ] deployed',
    '  - ~~nested~~ item',
    '',
    '| file | result |',
    '|---|:-:|',
    '| a.ts | ok |',
    '',
    'See [https://good.example](https://evil.example/login), [paypal.example](https://evil.example/x) and [the docs](https://docs.example/).',
  ].join('\n');
  const res = await fetch(`${relay.url}/api/rooms/${parsed.link.roomId}/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ sender: 'agent', ...sealText(text, parsed.link.key) }),
  });
  expect(res.status).toBe(200);
  const body = bubble(page, 'Report').locator('.body');
  await expect(body.getByRole('heading', { name: 'Report' })).toBeVisible();
  await expect(body.locator('ol')).toHaveAttribute('start', '2');
  await expect(body.locator('ol > li')).toHaveText(['second', 'third']);
  const boxes = body.locator('input[type=checkbox]');
  await expect(boxes).toHaveCount(2);
  await expect(boxes.first()).toBeChecked();
  await expect(boxes.first()).toBeDisabled();
  await expect(body.locator('li s')).toHaveText('nested');
  await expect(body.locator('table td')).toHaveText(['a.ts', 'ok']);

  const links = body.locator('a');
  await expect(links).toHaveCount(3);
  // A label that is a URL shows the real target; a label that names a host gets the real host.
  await expect(links.nth(0)).toHaveAttribute('href', 'https://evil.example/login');
  await expect(links.nth(0)).toHaveText('https://evil.example/login');
  await expect(links.nth(1)).toHaveText('paypal.example (evil.example)');
  await expect(links.nth(2)).toHaveText('the docs');
  await expect(body).not.toContainText('good.example');
});
