/**
 * Screenshots for a person to look at: every width, touch and pointer, each surface that opens
 * (room, invite with QR, reaction picker or action sheet, search, settings, sign-in, the people
 * rail, /dm, the landing page), plus one contact sheet per surface.
 *
 *   npm run build && npx tsx e2e/screenshots.ts [out-dir]   (default /work/wt/shots)
 *
 * Not a test: it asserts nothing, and writes outside the repository.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from '@playwright/test';
import { startRelay } from '../test-support/relay.js';
import { Room } from '../agent/sdk/index.js';
import { identityToRecord, newIdentity, registerBody } from '../protocol/identity.js';

const OUT = resolve(process.argv[2] ?? '/work/wt/shots');
const WIDTHS = [320, 360, 390, 768, 1024, 1280];
const MODES = ['pointer', 'touch'] as const;
type Mode = (typeof MODES)[number];

const LONG =
  'This is a longer message that wraps over several lines on a phone and fills the bubble to its maximum width on a laptop.';

async function online(p: Page) {
  await p.locator('.status-pill.status-online').waitFor({ timeout: 15_000 });
}

async function post(p: Page, text: string) {
  const box = p.locator('#composer-input');
  await box.fill(text);
  // On touch devices Enter is a new line and the button sends.
  if (await p.evaluate(() => matchMedia('(pointer: coarse)').matches))
    await p.getByRole('button', { name: 'Send message' }).click();
  else await box.press('Enter');
  await p
    .locator('.bubble.is-pending')
    .first()
    .waitFor({ state: 'detached', timeout: 15_000 })
    .catch(() => {});
  await p
    .locator('article.bubble-self')
    .filter({
      hasText: text
        .split('\n')
        .pop()!
        .replace(/^[\d.>\s]+/, '')
        .slice(0, 20),
    })
    .last()
    .waitFor();
}

async function newPage(browser: Browser, width: number, mode: Mode, identity?: string): Promise<Page> {
  const ctx = await browser.newContext({
    viewport: { width, height: width < 700 ? 780 : 800 },
    ...(mode === 'touch' ? { hasTouch: true, isMobile: true } : {}),
  });
  if (identity) await ctx.addInitScript((r) => localStorage.setItem('bot2bot-identity', r), identity);
  return ctx.newPage();
}

/** A registered @handle as the web app stores it, for a signed-in page. */
async function signedRecord(base: string): Promise<string> {
  const id = newIdentity(`shots-${Math.random().toString(36).slice(2, 8)}`);
  const res = await fetch(`${base}/api/identity/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(registerBody(id)),
  });
  if (res.status !== 201) throw new Error(`register: ${res.status}`);
  return JSON.stringify(identityToRecord(id));
}

async function longPress(p: Page, sel: ReturnType<Page['locator']>) {
  await sel.scrollIntoViewIfNeeded();
  const b = (await sel.boundingBox())!;
  const cdp = await p.context().newCDPSession(p);
  const pt = { x: b.x + Math.min(20, b.width / 2), y: b.y + b.height / 2 };
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [pt] });
  await p.waitForTimeout(700);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const relay = await startRelay({ webDir: 'dist/web' });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const shots = new Map<string, string[]>();
  const shoot = async (p: Page, width: number, mode: Mode, what: string) => {
    const file = `${width}-${mode}-${what}.png`;
    await p.waitForTimeout(250);
    await p.screenshot({ path: join(OUT, file) });
    shots.set(what, [...(shots.get(what) ?? []), file]);
  };
  const ac = new AbortController();
  try {
    const seed = await newPage(browser, 1280, 'pointer');
    await seed.goto(relay.url + '/');
    await seed.getByRole('button', { name: 'New room' }).click();
    await seed.waitForURL(/\/room\//);
    await online(seed);
    const url = seed.url();
    const agent = new Room(url, { name: 'helper-bot', onWarning: () => undefined });
    void (async () => {
      for await (const _m of agent.stream({ signal: ac.signal })) void _m;
    })().catch(() => undefined);
    await agent.send('Hi, I am **helper-bot**. Ask me for a `diff` or a summary.');
    await post(seed, 'Zed here');
    await post(seed, LONG);
    await post(seed, '> a quote from earlier\n\nok, agreed');
    await post(seed, '2. second point\n3. third point');
    await agent.send('```ts\nconst answer = 42;\n```');
    for (let i = 0; i < 6; i++) await post(seed, `short ${i}`);

    for (const mode of MODES) {
      for (const width of WIDTHS) {
        const p = await newPage(browser, width, mode);
        await p.goto(url);
        await online(p);
        await p.locator('article.bubble').filter({ hasText: 'short 5' }).waitFor();
        await post(p, `mine at ${width}`);
        await shoot(p, width, mode, 'room');

        // A surface that fails to open is shot as it is and reported; the others still run.
        const step = async (what: string, fn: () => Promise<void>) => {
          try {
            await fn();
          } catch (e) {
            console.log(`FAILED ${width}-${mode} ${what}: ${String(e).split('\n')[0]}`);
            await shoot(p, width, mode, `failed-${what}`);
            await p.keyboard.press('Escape');
          }
        };
        await step('invite', async () => {
          await p.getByRole('button', { name: 'Invite people or agents' }).click();
          await p.getByRole('button', { name: 'Show QR code' }).click();
          await shoot(p, width, mode, 'invite');
          await p.keyboard.press('Escape');
          await p.locator('.popover.invite .popover-panel').waitFor({ state: 'hidden', timeout: 3000 });
        });

        const zed = p.locator('article.bubble').filter({ hasText: 'Zed here' }).last();
        if (mode === 'pointer') {
          await step('picker', async () => {
            await zed.locator('.bubble-card').hover();
            await shoot(p, width, mode, 'toolbar');
            await zed.getByRole('button', { name: 'Add reaction' }).click();
            await shoot(p, width, mode, 'picker');
            await p.keyboard.press('Escape');
          });
          await step('picker-own', async () => {
            const mine = p
              .locator('article.bubble-self')
              .filter({ hasText: `mine at ${width}` })
              .last();
            await mine.locator('.bubble-card').hover();
            await mine.getByRole('button', { name: 'Add reaction' }).click();
            await shoot(p, width, mode, 'picker-own');
            await p.keyboard.press('Escape');
          });
        } else {
          await step('sheet', async () => {
            await longPress(p, zed.locator('.body'));
            await p.locator('dialog.message-sheet').waitFor({ timeout: 5000 });
            await shoot(p, width, mode, 'sheet');
            await p.keyboard.press('Escape');
            await p.locator('dialog.message-sheet').waitFor({ state: 'hidden', timeout: 3000 });
          });
        }

        await step('search', async () => {
          await p.getByRole('button', { name: 'Search messages' }).click();
          await p.locator('#search-input').fill('short');
          await shoot(p, width, mode, 'search');
          await p.keyboard.press('Escape');
        });
        await step('settings', async () => {
          await p.getByRole('button', { name: 'Room settings' }).click();
          await shoot(p, width, mode, 'settings');
          await p.keyboard.press('Escape');
        });
        await step('rail', async () => {
          const show = p.getByRole('button', { name: 'Show participants' });
          if (await show.isVisible()) await show.click();
          await shoot(p, width, mode, 'rail');
          const close = p.getByRole('button', { name: 'Close participants' });
          if (await close.isVisible()) await close.click();
        });
        await step('signin', async () => {
          const signin = p.locator('.topbar').getByRole('button', { name: 'Sign in with a @handle' });
          if (await signin.isVisible()) {
            await signin.click();
            await p.locator('dialog[open]').waitFor();
            await shoot(p, width, mode, 'signin');
            await p.keyboard.press('Escape');
          }
        });

        await p.goto(relay.url + '/dm');
        await p.getByRole('heading', { level: 1 }).waitFor();
        await shoot(p, width, mode, 'dm');
        await p.goto(relay.url + '/');
        await p.getByRole('heading', { level: 1 }).waitFor();
        await shoot(p, width, mode, 'landing');
        await p.context().close();

        const signed = await newPage(browser, width, mode, await signedRecord(relay.url));
        await signed.goto(relay.url + '/dm');
        await signed.locator('.dm-compose').waitFor();
        await shoot(signed, width, mode, 'dm-signed');
        await signed.goto(url);
        await online(signed);
        await shoot(signed, width, mode, 'room-signed');
        await signed.context().close();
      }
    }

    // One contact sheet per surface: every width and mode side by side, at half size.
    for (const [what, files] of shots) {
      const html = `<body style="margin:0;background:#888;font:12px sans-serif">${files
        .map(
          (f) =>
            `<figure style="display:inline-block;vertical-align:top;margin:4px"><img src="${f}" style="zoom:.5"><figcaption>${f}</figcaption></figure>`,
        )
        .join('')}</body>`;
      const sheet = join(OUT, `sheet-${what}.html`);
      writeFileSync(sheet, html);
      const p = await newPage(browser, 1900, 'pointer');
      await p.goto(`file://${sheet}`);
      await p.screenshot({ path: join(OUT, `sheet-${what}.png`), fullPage: true });
      await p.context().close();
    }
    console.log(`wrote ${[...shots.values()].flat().length} screenshots and ${shots.size} sheets to ${OUT}`);
  } finally {
    ac.abort();
    await browser.close();
    await relay.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
