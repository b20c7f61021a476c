import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { test, expect, createRoom, send, bubble, waitOnline } from './fixtures.js';
import { startRelay } from '../test-support/relay.js';

const pngSize = (b: Buffer) => [b.readUInt32BE(16), b.readUInt32BE(20)];

test('the manifest is valid and names icons that exist at their stated sizes', async ({ relay }) => {
  const res = await fetch(`${relay.url}/manifest.webmanifest`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/manifest+json');
  const m = (await res.json()) as Record<string, unknown> & {
    icons: Array<{ src: string; sizes: string; purpose: string; type: string }>;
    share_target: { action: string; method: string; params: Record<string, string> };
  };
  expect(m).toMatchObject({
    name: 'Bot2Bot.chat',
    short_name: 'Bot2Bot',
    start_url: '/',
    display: 'standalone',
    scope: '/',
  });
  expect(m.theme_color).toMatch(/^#[0-9A-Fa-f]{6}$/);
  expect(m.background_color).toMatch(/^#[0-9A-Fa-f]{6}$/);
  for (const want of ['192x192 any', '512x512 any', '512x512 maskable'])
    expect(m.icons.map((i) => `${i.sizes} ${i.purpose}`)).toContain(want);
  for (const icon of m.icons) {
    const r = await fetch(`${relay.url}${icon.src}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(icon.type);
    const [w, h] = pngSize(Buffer.from(await r.arrayBuffer()));
    expect(`${w}x${h}`).toBe(icon.sizes);
  }
  expect(m.share_target).toMatchObject({
    action: '/share',
    method: 'GET',
    params: { text: 'text', url: 'url', title: 'title' },
  });
  const sw = await fetch(`${relay.url}/sw.js`);
  expect(sw.status).toBe(200);
  expect(sw.headers.get('content-type')).toMatch(/^text\/javascript/);
  expect(sw.headers.get('cache-control')).toBe('no-cache');
  expect(await sw.text()).not.toContain('__PRECACHE__');
});

test('the service worker controls the page, and a room opened before reopens offline with its history and outbox', async ({
  relay,
  newPage,
}) => {
  const alice = await newPage();
  const url = await createRoom(alice, relay);
  await alice.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  await expect
    .poll(() => alice.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? null))
    .toMatch(/\/sw\.js$/);
  await send(alice, 'kept for the train');
  await alice.waitForTimeout(700); // let the cursor and frames settle into IndexedDB

  const requests: string[] = [];
  alice.context().on('request', (r) => requests.push(r.url()));
  await alice.context().setOffline(true);
  await alice.reload();
  expect(alice.url()).toBe(url);
  await expect(bubble(alice, 'kept for the train')).toBeVisible();
  await expect(alice.getByTestId('offline-notice')).toBeVisible();
  await expect(alice.locator('.status-pill')).not.toHaveClass(/status-online/);

  // Written offline: waits on the device, across another offline reload.
  await alice.locator('#composer-input').fill('sent from the tunnel');
  await alice.locator('#composer-input').press('Enter');
  const pending = alice.locator('article.bubble.is-pending').filter({ hasText: 'sent from the tunnel' });
  await expect(pending).toContainText('Waiting to send', { timeout: 20_000 });
  await alice.reload();
  await expect(bubble(alice, 'kept for the train')).toBeVisible();
  await expect(pending).toContainText('Waiting to send');

  // The worker never answered an API request from its cache.
  const cachedApi = await alice.evaluate(async () => {
    const out: string[] = [];
    for (const name of await caches.keys())
      for (const req of await (await caches.open(name)).keys())
        if (new URL(req.url).pathname.startsWith('/api/')) out.push(req.url);
    return out;
  });
  expect(cachedApi).toEqual([]);
  expect(requests.some((u) => u.includes('#'))).toBe(false);

  await alice.context().setOffline(false);
  await waitOnline(alice);
  await expect(bubble(alice, 'sent from the tunnel')).toBeVisible({ timeout: 30_000 });
  await expect(alice.getByTestId('offline-notice')).toHaveCount(0);
});

test('text shared to the app lands in a recent room of the user’s choice, once', async ({
  relay,
  newPage,
}) => {
  const alice = await newPage();
  const first = await createRoom(alice, relay);
  const second = await createRoom(alice, relay);
  const bob = await newPage();
  await bob.goto(first);
  await waitOnline(bob);
  // As the OS share sheet opens it: GET /share?title=…&text=…&url=…
  await alice.goto(
    `${relay.url}/share?title=${encodeURIComponent('A page')}&text=${encodeURIComponent('look at this')}&url=${encodeURIComponent('https://example.org/x')}`,
  );
  await expect(alice.getByRole('heading', { name: 'Share to a room' })).toBeVisible();
  await expect(alice.getByRole('textbox', { name: 'Message', exact: true })).toHaveValue(
    'A page\nlook at this\nhttps://example.org/x',
  );
  const firstId = new URL(first).pathname.split('/')[2]!;
  const secondId = new URL(second).pathname.split('/')[2]!;
  // Newest first; the user picks the older room.
  await expect(alice.locator('.share-room').first()).toContainText(secondId);
  await alice.locator('.share-room').filter({ hasText: firstId }).getByRole('radio').check();
  await alice.getByRole('button', { name: 'Send to room' }).click();
  await expect(alice).toHaveURL(first);
  await expect(bubble(bob, 'look at this')).toBeVisible({ timeout: 20_000 });
  await expect(bubble(bob, 'https://example.org/x')).toHaveCount(1);
  await expect(bubble(alice, 'look at this')).toHaveClass(/bubble-self/);
});

test('a new deploy shows an update prompt, and accepting it reloads into the new version', async ({
  browser,
}) => {
  // A deploy: the same port serves a changed sw.js after a restart.
  const dir = mkdtempSync(join(tmpdir(), 'b2b-web-'));
  cpSync('dist/web', dir, { recursive: true });
  let relay = await startRelay({ webDir: dir, redisUrl: null });
  const port = relay.port;
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    await page.goto(`${relay.url}/`);
    await expect
      .poll(() => page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? null))
      .toMatch(/\/sw\.js$/);
    await expect(page.getByTestId('update-prompt')).toHaveCount(0);

    await relay.close();
    const next = Buffer.from(
      readFileSync(join(dir, 'sw.js'), 'utf8').replace(
        /const VERSION = "([^"]+)"/,
        'const VERSION = "$1-next"',
      ),
    );
    writeFileSync(join(dir, 'sw.js'), next);
    writeFileSync(join(dir, 'sw.js.br'), brotliCompressSync(next));
    writeFileSync(join(dir, 'sw.js.gz'), gzipSync(next));
    relay = await startRelay({ webDir: dir, redisUrl: null, port });

    await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r?.update()));
    const prompt = page.getByTestId('update-prompt');
    await expect(prompt).toContainText('A new version of Bot2Bot is ready.');
    await page.evaluate(() => ((window as unknown as { beforeUpdate: boolean }).beforeUpdate = true));
    await prompt.getByRole('button', { name: 'Reload to update' }).click();
    // The reload may land between two polls: a page mid-navigation counts as not there yet.
    await expect
      .poll(() =>
        page
          .evaluate(() => (window as unknown as { beforeUpdate?: boolean }).beforeUpdate ?? false)
          .catch(() => 'navigating'),
      )
      .toBe(false);
    await expect
      .poll(() => page.evaluate(() => caches.keys()).catch(() => []))
      .toEqual([expect.stringMatching(/-next$/)]);
    await expect(page.getByTestId('update-prompt')).toHaveCount(0);
  } finally {
    await ctx.close();
    await relay.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
