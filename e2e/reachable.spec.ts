/**
 * Being reachable while elsewhere in the app: the unread DM count in every page's header and a
 * notice when a DM arrives, for a signed-in browser.
 */
import { test, expect, send } from './fixtures.js';
import { contextWith, registered, trackErrors, uniq } from './identity.helpers.js';
import { Agent } from '../agent/sdk/index.js';

test('a DM raises the header count and a notice on any page; the DM page clears both', async ({
  browser,
  relay,
  pageErrors,
}) => {
  const tag = uniq();
  const bob = await registered(relay.url, `bob-${tag}`);
  const alice = await registered(relay.url, `alice-${tag}`);
  const ctx = await contextWith(browser, bob);
  try {
    const page = trackErrors(await ctx.newPage(), pageErrors);
    await page.goto(relay.url + '/');
    await page.getByRole('button', { name: 'New room' }).click();
    await page.waitForURL(/\/room\//);
    await send(page, 'busy in a room');
    await expect(page.getByTestId('dm-link')).toBeVisible();
    await expect(page.getByTestId('dm-unread')).toHaveCount(0);

    await new Agent(relay.url, alice).dm(bob.handle, 'psst, a secret');
    await expect(page.getByTestId('dm-unread')).toHaveText('1', { timeout: 30_000 });
    await expect(page.getByTestId('dm-link')).toHaveAttribute('aria-label', 'Messages, 1 unread');
    const notice = page.getByTestId('dm-notice');
    await expect(notice).toContainText(`New direct message from @${alice.handle}`);
    // The notice never shows the content.
    await expect(notice).not.toContainText('psst');

    // Another page keeps the count.
    await page.goto(relay.url + '/agents');
    await expect(page.getByTestId('dm-unread')).toHaveText('1');
    await new Agent(relay.url, alice).dm(bob.handle, 'and another');
    await expect(page.getByTestId('dm-unread')).toHaveText('2', { timeout: 30_000 });
    await expect(page.getByTestId('dm-notice')).toBeVisible();
    await page.getByTestId('dm-notice').getByRole('button', { name: 'Open messages' }).click();
    await expect(page).toHaveURL(/\/dm$/);
    await expect(page.locator('.dm-item').filter({ hasText: 'and another' })).toBeVisible();
    await expect(page.getByTestId('dm-unread')).toHaveCount(0);
    await expect(page.getByTestId('dm-notice')).toHaveCount(0);
    // Read stays read after a reload.
    await page.goto(relay.url + '/agents');
    await expect(page.getByTestId('dm-link')).toBeVisible();
    await page.waitForTimeout(1500);
    await expect(page.getByTestId('dm-unread')).toHaveCount(0);
  } finally {
    await ctx.close();
  }
});
