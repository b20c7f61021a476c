/**
 * Keyboard paths, focus, the live region, mentions and unread counts, presence roles, the
 * connection status on phones, and clock-skew-corrected expiry: the room as people use it.
 */
import { test, expect, createRoom, openRoom, send, bubble } from './fixtures.js';
import type { Page } from '@playwright/test';

const nameOf = (p: Page) => p.locator('#name-input').inputValue();

test('every message action works from the keyboard, and dialogs start at their first field', async ({
  relay,
  newPage,
}) => {
  const page = await newPage();
  const url = await createRoom(page, relay);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: relay.url });
  await send(page, 'keyboard target');

  // Into the list, then Tab lands on the bubble's first action: Reply.
  await page.locator('.messages').focus();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Reply', exact: true })).toBeFocused();
  await expect(bubble(page, 'keyboard target').locator('.actions')).toHaveCSS('opacity', '1');
  await page.keyboard.press('Enter');
  await expect(page.locator('.reply-pill')).toContainText('keyboard target');
  await expect(page.locator('#composer-input')).toBeFocused();
  await page.keyboard.type('typed reply');
  await page.keyboard.press('Enter');
  await expect(bubble(page, 'typed reply').locator('.reply-ref')).toContainText('keyboard target');

  // React: the picker takes focus, arrows move, Enter picks.
  const target = bubble(page, 'keyboard target').first();
  await target.getByRole('button', { name: 'Add reaction' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: 'React with 👍' })).toBeFocused();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  await expect(target.locator('.pill')).toHaveCount(1);
  await expect(target.locator('.pill')).toHaveAttribute('aria-pressed', 'true');

  // Copy link keeps focus where it was.
  const copy = target.getByRole('button', { name: 'Copy link to message' });
  await copy.focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('.toast')).toContainText('Message link copied');
  await expect(copy).toBeFocused();
  const id = await target.getAttribute('data-msg-id');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${url}&m=${id}`);

  // Thread from the keyboard.
  await target.getByRole('button', { name: /View thread/ }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Thread' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(target.getByRole('button', { name: /View thread/ })).toBeFocused();

  // Delete: the dialog starts on Cancel (the safe choice); Tab, Enter deletes; focus stays in the list.
  await bubble(page, 'typed reply').getByRole('button', { name: 'Delete for everyone' }).focus();
  await page.keyboard.press('Enter');
  const dlg = page.getByRole('dialog', { name: 'Delete for everyone?' });
  await expect(dlg.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(bubble(page, 'typed reply')).toHaveCount(0);
  await expect(page.locator('.messages')).toBeFocused();

  // Dialogs open on their first field, not on the close button.
  await page.keyboard.press('Control+k');
  await expect(page.getByRole('searchbox')).toBeFocused();
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Room settings' }).click();
  await expect(page.locator('#settings-name')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('button', { name: 'Room settings' })).toBeFocused();
});

test('mentions notify, unread counts while away, and a live region reads new messages', async ({
  relay,
  newPage,
}) => {
  const alice = await newPage();
  const url = await createRoom(alice, relay);
  const bob = await newPage({
    init: async (p) => {
      // Record system notifications instead of showing them; permission is already granted.
      await p.addInitScript(() => {
        const w = window as unknown as { __notes: Array<[string, NotificationOptions | undefined]> };
        w.__notes = [];
        class FakeNotification {
          static permission = 'granted';
          static requestPermission = async () => 'granted';
          constructor(title: string, opts?: NotificationOptions) {
            w.__notes.push([title, opts]);
          }
        }
        Object.defineProperty(window, 'Notification', { value: FakeNotification, configurable: true });
      });
    },
  });
  await openRoom(bob, url);
  const bobName = await nameOf(bob);
  const aliceName = await nameOf(alice);
  const base = await bob.title();

  // Focused: a mention alerts (notification, announcement) but the title stays calm.
  await send(alice, `hello @${bobName} are you there?`);
  await expect(bubble(bob, 'are you there?').locator('.mention.is-me')).toHaveText(`@${bobName}`);
  await expect(bob.getByTestId('announcer')).toHaveText(
    `Mention from ${aliceName}: hello @${bobName} are you there?`,
  );
  await expect
    .poll(() => bob.evaluate(() => (window as unknown as { __notes: unknown[] }).__notes.length))
    .toBe(1);
  expect(await bob.evaluate(() => (window as unknown as { __notes: Array<[string]> }).__notes[0]![0])).toBe(
    `${bobName} mentioned by ${aliceName}`,
  );
  await expect(bob).toHaveTitle(base);

  // Away (tab unfocused): plain messages count as unread, mentions take the title.
  await bob.evaluate(() => {
    document.hasFocus = () => false;
  });
  // What is announced is what a reader sees: no markdown markup.
  await send(alice, '**plain** while _away_, see [the docs](https://example.com)');
  await expect(bob).toHaveTitle(`(1) ${base}`);
  await expect(bob.getByTestId('announcer')).toHaveText(
    `New message from ${aliceName}: plain while away, see the docs`,
  );
  await send(alice, `@${bobName} ping`);
  await expect(bob).toHaveTitle(`(@1) ${base}`);
  expect(await bob.evaluate(() => (window as unknown as { __notes: unknown[] }).__notes.length)).toBe(2);
  // Coming back clears it.
  await bob.evaluate(() => {
    document.hasFocus = () => true;
    window.dispatchEvent(new Event('focus'));
  });
  await expect(bob).toHaveTitle(base);
  // A reload replays history: old mentions raise no new notification.
  await bob.reload();
  await expect(bubble(bob, 'ping')).toBeVisible();
  await bob.waitForTimeout(500);
  expect(await bob.evaluate(() => (window as unknown as { __notes: unknown[] }).__notes.length)).toBe(0);
  await expect(bob).toHaveTitle(base);
});

test('the rail shows roles and activity; phones show connection trouble in words', async ({
  relay,
  newPage,
}) => {
  const alice = await newPage();
  const url = await createRoom(alice, relay);
  const bob = await newPage();
  await openRoom(bob, url);
  const bobName = await nameOf(bob);
  const row = (name: string) =>
    alice.locator('.rail .person').filter({ has: alice.locator('.name-text', { hasText: name }) });
  await expect(row(bobName).locator('.tag')).toHaveText(['anonymous']);
  await expect(row(bobName).locator('.activity')).toHaveText('active');
  await expect(row(await nameOf(alice)).locator('.tag')).toHaveText(['you', 'anonymous']);

  // 320 px: the title stays on one line, no meta wrapping.
  const narrow = await newPage({ viewport: { width: 320, height: 640 } });
  await openRoom(narrow, url);
  const h = await narrow.locator('.topbar-title h1').evaluate((el) => el.getBoundingClientRect().height);
  expect(h).toBeLessThan(30);
  await expect(narrow.locator('.topbar-meta')).toBeHidden();
  await expect(narrow.locator('.people-toggle .count-chip')).toHaveText('3');

  // A phone whose socket cannot connect says so, with a retry button.
  const phone = await newPage({ viewport: { width: 390, height: 844 } });
  await phone.routeWebSocket(/\/ws/, (ws) => ws.close());
  await phone.goto(url);
  const banner = phone.locator('.conn-banner');
  await expect(banner).toContainText('Connection lost · reconnecting');
  await expect(banner.getByRole('button', { name: 'Retry now' })).toBeVisible();
  await expect(phone.locator('.status-pill')).toHaveAttribute('title', /Reconnecting/);
});

test('disappearing messages follow the relay clock on a device whose clock runs 25 s fast', async ({
  relay,
  newPage,
}) => {
  test.setTimeout(90_000);
  const skewed = await newPage({
    init: async (p) => {
      await p.addInitScript(() => {
        const real = Date.now.bind(Date);
        Date.now = () => real() + 25_000;
      });
    },
  });
  const url = await createRoom(skewed, relay);
  // Our own echoes measure the offset.
  await send(skewed, 'calibrate one');
  await send(skewed, 'calibrate two');
  await expect
    .poll(() => skewed.evaluate(() => Number(localStorage.getItem('bot2bot:clock-offset'))))
    .toBeLessThan(-24_000);
  expect(await skewed.evaluate(() => Number(localStorage.getItem('bot2bot:clock-offset')))).toBeGreaterThan(
    -26_000,
  );

  await skewed.getByRole('button', { name: 'Room settings' }).click();
  await skewed.getByRole('dialog', { name: 'Room settings' }).getByRole('radio', { name: '30s' }).click();
  await skewed.keyboard.press('Escape');
  await send(skewed, 'short-lived note');
  const other = await newPage();
  await openRoom(other, url);
  await expect(bubble(other, 'short-lived note')).toBeVisible();
  // Uncorrected, this device would drop it after ~5 s; corrected, both keep it for ~30 s.
  await skewed.waitForTimeout(12_000);
  await expect(bubble(skewed, 'short-lived note')).toBeVisible();
  await expect(bubble(skewed, 'short-lived note')).toHaveCount(0, { timeout: 30_000 });
  await expect(bubble(other, 'short-lived note')).toHaveCount(0, { timeout: 5_000 });
  await expect(bubble(skewed, 'calibrate one')).toBeVisible();
});
