/**
 * The composer (auto-grow, size limit, @mention completion, the name chip), the invite menu and
 * its clipboard fallback, forgetting local history, and resuming after the network drops.
 */
import { test, expect, createRoom, openRoom, send, bubble } from './fixtures.js';
import type { Page, WebSocketRoute } from '@playwright/test';

const frameCount = (p: Page) =>
  p.evaluate(
    () =>
      new Promise<number>((res, rej) => {
        const r = indexedDB.open('bot2bot-web');
        r.onerror = () => rej(r.error);
        r.onsuccess = () => {
          const q = r.result.transaction('frames').objectStore('frames').count();
          q.onsuccess = () => {
            res(q.result);
            r.result.close();
          };
        };
      }),
  );

test('composer: auto-grow, size limit, @mention completion and renaming', async ({ relay, newPage }) => {
  const alice = await newPage();
  const url = await createRoom(alice, relay);
  const bob = await newPage();
  await openRoom(bob, url);
  const box = bob.locator('#composer-input');

  // Shift+Enter adds lines and the box grows, up to its cap.
  const h0 = await box.evaluate((el) => el.getBoundingClientRect().height);
  await box.focus();
  for (let i = 0; i < 3; i++) {
    await bob.keyboard.type(`line ${i}`);
    await bob.keyboard.press('Shift+Enter');
  }
  const h1 = await box.evaluate((el) => el.getBoundingClientRect().height);
  expect(h1).toBeGreaterThan(h0 + 30);
  for (let i = 0; i < 20; i++) await bob.keyboard.press('Shift+Enter');
  expect(await box.evaluate((el) => el.getBoundingClientRect().height)).toBeLessThanOrEqual(202);

  // Over 60 KiB: a clear error, and the send button is disabled.
  await box.fill('x'.repeat(61 * 1024));
  await expect(bob.getByRole('button', { name: 'Send message' })).toBeDisabled();
  await box.press('Enter');
  await expect(bob.locator('#composer-hint')).toContainText('Message too long');
  await box.fill('');

  // Rename through the name chip; the other side's rail follows.
  const chip = alice.locator('#name-input');
  await chip.fill('alice-renamed');
  await chip.press('Enter');
  await expect(bob.locator('.rail .name-text', { hasText: 'alice-renamed' })).toBeVisible();
  await chip.fill('bad name!');
  await chip.press('Enter');
  await expect(alice.getByRole('alert')).toHaveText('Use letters, digits, . _ - only (no spaces).');
  await chip.press('Escape');

  // @mention completion from the people in the room.
  await box.focus();
  await bob.keyboard.type('thanks @ali');
  const list = bob.getByRole('listbox', { name: 'Mention someone' });
  await expect(list.getByRole('option')).toHaveText(['@alice-renamed']);
  await bob.keyboard.press('Enter');
  await expect(box).toHaveValue('thanks @alice-renamed ');
  await bob.keyboard.type('for the review');
  await bob.keyboard.press('Enter');
  await expect(bubble(alice, 'for the review').locator('.mention.is-me')).toHaveText('@alice-renamed');
  await send(alice, 'posted under the new name');
  await expect(bubble(bob, 'posted under the new name').locator('.sender')).toHaveText('alice-renamed');
});

test('invite link copies, and falls back to a selectable box when the clipboard is blocked', async ({
  relay,
  newPage,
}) => {
  const page = await newPage();
  const url = await createRoom(page, relay);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: relay.url });
  await page.getByRole('button', { name: 'Invite people or agents' }).click();
  await page.getByRole('button', { name: /Copy invite link/ }).click();
  await expect(page.locator('.toast')).toContainText('Invite link copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);

  const blocked = await newPage({
    init: async (p) => {
      await p.addInitScript(() => {
        Object.defineProperty(navigator, 'clipboard', {
          value: { writeText: () => Promise.reject(new Error('denied')) },
        });
        document.execCommand = () => false;
      });
    },
  });
  await openRoom(blocked, url);
  await blocked.getByRole('button', { name: 'Invite people or agents' }).click();
  await blocked.getByRole('button', { name: /Copy invite link/ }).click();
  const fallback = blocked.getByLabel('Copying is blocked here. Select and copy:');
  await expect(fallback).toHaveValue(url);
  await expect(fallback).toBeFocused();
});

test('forget this room and clear all remove the local cache', async ({ relay, newPage }) => {
  const page = await newPage();
  await createRoom(page, relay);
  await send(page, 'cached here');
  await expect.poll(() => frameCount(page)).toBe(1);
  await page.getByRole('button', { name: 'Room settings' }).click();
  await page.getByRole('button', { name: 'Forget this room on this device…' }).click();
  await page.getByRole('button', { name: 'Forget room', exact: true }).click();
  await expect(page).toHaveURL(relay.url + '/');
  expect(await frameCount(page)).toBe(0);

  await createRoom(page, relay);
  await send(page, 'cached again');
  await expect.poll(() => frameCount(page)).toBe(1);
  await page.goto(relay.url + '/');
  await page.getByRole('button', { name: 'Clear all local history' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'cleared' })).toHaveText(
    'All local history on this device (rooms and copies of sent messages) was cleared.',
  );
  expect(await frameCount(page)).toBe(0);
});

test('after the connection drops, the page reconnects by itself and resumes without gaps or duplicates', async ({
  relay,
  newPage,
}) => {
  const alice = await newPage();
  const url = await createRoom(alice, relay);
  const bob = await newPage();
  // Bob's socket goes through a switch we control: pass-through, or refused while "down".
  let down = false;
  let live: WebSocketRoute | null = null;
  await bob.routeWebSocket(/\/ws/, (ws) => {
    if (down) return void ws.close();
    ws.connectToServer();
    live = ws;
  });
  await openRoom(bob, url);
  await send(alice, 'before the drop');
  await expect(bubble(bob, 'before the drop')).toBeVisible();

  down = true;
  await live!.close();
  await expect(bob.locator('.status-pill')).toHaveClass(/status-reconnecting/);
  for (const t of ['missed one', 'missed two', 'missed three']) await send(alice, t);
  down = false;
  // The browser reports the network is back: reconnect at once instead of waiting out the backoff.
  await bob.evaluate(() => window.dispatchEvent(new Event('online')));
  await expect(bob.locator('.status-pill')).toHaveClass(/status-online/, { timeout: 5_000 });
  await expect(bubble(bob, 'missed three')).toBeVisible();
  await expect(bob.locator('article.bubble .body')).toHaveText([
    'before the drop',
    'missed one',
    'missed two',
    'missed three',
  ]);
  expect(bob.url()).toBe(url);
});
