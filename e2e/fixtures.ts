/**
 * Shared e2e fixtures: a real relay per worker serving the built app, browser pages that fail
 * the test on any page error, and small helpers that drive the UI the way a person would.
 */
import { randomBytes } from 'node:crypto';
import { deflateSync, crc32 } from 'node:zlib';
import { test as base, expect, type Browser, type Page } from '@playwright/test';
import { startRelay, type TestRelay } from '../test-support/relay.js';

export interface PageFactory {
  (opts?: {
    viewport?: { width: number; height: number };
    touch?: boolean;
    init?: (page: Page) => Promise<void>;
  }): Promise<Page>;
}

export const test = base.extend<{ newPage: PageFactory; pageErrors: string[] }, { relay: TestRelay }>({
  relay: [
    async ({}, use) => {
      const relay = await startRelay({ webDir: 'dist/web' });
      await use(relay);
      await relay.close();
    },
    { scope: 'worker' },
  ],
  pageErrors: async ({}, use) => {
    const errors: string[] = [];
    await use(errors);
    expect(errors, 'page errors').toEqual([]);
  },
  newPage: async ({ browser, pageErrors }, use) => {
    const contexts: Awaited<ReturnType<Browser['newContext']>>[] = [];
    await use(async (opts = {}) => {
      const ctx = await browser.newContext({
        viewport: opts.viewport ?? { width: 1280, height: 800 },
        ...(opts.touch ? { hasTouch: true, isMobile: true } : {}),
      });
      contexts.push(ctx);
      const page = await ctx.newPage();
      page.on('pageerror', (e) => pageErrors.push(`${e.name}: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && !/Failed to load resource|WebSocket connection/.test(m.text()))
          pageErrors.push(`console: ${m.text()}`);
      });
      if (opts.init) await opts.init(page);
      return page;
    });
    for (const c of contexts) await c.close();
  },
});

export { expect };

/** Click "New room" on the landing page and return the room URL (with key). */
export async function createRoom(page: Page, relay: TestRelay): Promise<string> {
  await page.goto(relay.url + '/');
  await page.getByRole('button', { name: 'New room' }).click();
  await page.waitForURL(/\/room\/[A-HJ-NP-Z2-9]{10}#k=[A-Za-z0-9_-]{43}$/);
  await waitOnline(page);
  return page.url();
}

/** Two pages in one new room: `a` created it, `b` opened its link. */
export async function twoInRoom(
  newPage: PageFactory,
  relay: TestRelay,
): Promise<{ a: Page; b: Page; url: string }> {
  const a = await newPage();
  const url = await createRoom(a, relay);
  const b = await newPage();
  await openRoom(b, url);
  return { a, b, url };
}

export async function openRoom(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await waitOnline(page);
}

export async function waitOnline(page: Page): Promise<void> {
  await expect(page.locator('.status-pill.status-online')).toBeVisible({ timeout: 15_000 });
}

export async function send(page: Page, text: string): Promise<void> {
  const box = page.locator('#composer-input');
  const mine = page.locator('article.bubble-self:not(.is-pending)');
  const before = await mine.count();
  await box.fill(text);
  // On touch devices Enter is a new line and the button sends.
  if (await page.evaluate(() => matchMedia('(hover: none) and (pointer: coarse)').matches))
    await page.getByRole('button', { name: 'Send message' }).click();
  else await box.press('Enter');
  await expect(box).toHaveValue('');
  await expect(page.locator('.bubble.is-pending')).toHaveCount(0, { timeout: 15_000 });
  await expect.poll(() => mine.count()).toBeGreaterThan(before);
}

export function bubble(page: Page, text: string) {
  return page.locator('article.bubble:not(.is-pending)').filter({ hasText: text });
}

/**
 * A real PNG that browsers decode and thumbnail: noisy pixels stored without compression, so its
 * bytes are not repetitive and stand as they are in the file.
 */
export function png(w: number, h: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const rows: Buffer[] = [];
  for (let y = 0; y < h; y++) rows.push(Buffer.concat([Buffer.from([0]), randomBytes(w * 3)]));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 0 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
