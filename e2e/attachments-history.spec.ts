/**
 * Attachments through peer history: after the relay forgot an empty room (and its blobs with
 * it), a verified peer restores a file message for a late joiner; the card and its sealed
 * thumbnail show, an edit applied before still shows, and Download says plainly that the
 * relay no longer holds the file.
 */
import { randomBytes } from 'node:crypto';
import { deflateSync, crc32 } from 'node:zlib';
import type { Browser, BrowserContext } from '@playwright/test';
import { newIdentity, registerBody, identityToRecord, type Identity } from '../protocol/identity.js';
import { startRelay } from '../test-support/relay.js';
import { test, expect, send, bubble, waitOnline, createRoom } from './fixtures.js';

async function registered(base: string, handle: string): Promise<Identity> {
  const id = newIdentity(handle);
  const res = await fetch(`${base}/api/identity/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(registerBody(id)),
  });
  expect(res.status).toBe(201);
  return id;
}

async function contextWith(browser: Browser, id: Identity): Promise<BrowserContext> {
  const ctx = await browser.newContext();
  const record = JSON.stringify(identityToRecord(id));
  await ctx.addInitScript((r) => localStorage.setItem('bot2bot-identity', r), record);
  return ctx;
}

/** A small real PNG, so the browser makes a thumbnail of it. */
function png(w: number, h: number): Buffer {
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
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    sig,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('peer history restores a file message for a late joiner; its file is gone with the room', async ({
  browser,
  pageErrors,
}) => {
  const relay = await startRelay({
    webDir: 'dist/web',
    limits: { roomGraceMs: 300, janitorIntervalMs: 100 },
  });
  const suffix = Math.random().toString(36).slice(2, 8);
  const aCtx = await contextWith(browser, await registered(relay.url, `alice-${suffix}`));
  const bCtx = await contextWith(browser, await registered(relay.url, `bob-${suffix}`));
  try {
    let a = await aCtx.newPage();
    a.on('pageerror', (e) => pageErrors.push(e.message));
    const url = await createRoom(a, relay);
    const roomId = new URL(url).pathname.split('/')[2]!;
    await a
      .locator('[data-testid=camera-input]')
      .setInputFiles({ name: 'chart.png', mimeType: 'image/png', buffer: png(200, 120) });
    const card = (p: typeof a) =>
      p
        .locator('article.bubble:not(.is-pending)')
        .filter({ has: p.locator('.file-card[data-file-name="chart.png"]') });
    await expect(card(a).locator('.you')).toBeVisible({ timeout: 20_000 });
    await send(a, 'the numbers, first draft');
    await a.locator('#composer-input').press('ArrowUp');
    await a.locator('#edit-input').fill('the numbers, final');
    await a.locator('#edit-input').press('Enter');
    await expect(bubble(a, 'the numbers, final').locator('.edited-mark')).toBeVisible();
    await a.waitForTimeout(700);
    await a.close();

    await expect
      .poll(
        async () =>
          (
            (await (await fetch(`${relay.url}/api/rooms/${roomId}/transcript?after=0`)).json()) as {
              messages: unknown[];
            }
          ).messages.length,
        { timeout: 10_000 },
      )
      .toBe(0);
    expect(await relay.relay.blobs.totalBytes()).toBe(0);

    a = await aCtx.newPage();
    a.on('pageerror', (e) => pageErrors.push(e.message));
    await a.goto(url);
    await waitOnline(a);
    await expect(card(a)).toBeVisible();

    const b = await bCtx.newPage();
    b.on('pageerror', (e) => pageErrors.push(e.message));
    await b.goto(url);
    await waitOnline(b);
    await expect(card(b)).toBeVisible({ timeout: 15_000 });
    await expect(card(b).locator('.file-thumb img')).toBeVisible();
    await expect(card(b).locator('.restored')).toHaveText('restored · unverified');
    await expect(bubble(b, 'the numbers, final').locator('.edited-mark')).toBeVisible();
    await expect(bubble(b, 'first draft')).toHaveCount(0);
    await card(b).getByRole('button', { name: 'Download chart.png' }).click();
    await expect(card(b).getByRole('alert')).toHaveText('the file is no longer on the relay');
  } finally {
    await aCtx.close();
    await bCtx.close();
    await relay.close();
  }
});
