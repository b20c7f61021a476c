/**
 * Keys are never wiped automatically (reference-client.md §6.3, §8.2 #3): a handle now owned by
 * another key is reported with export-then-forget, a skewed clock keeps the keys, and a refused
 * lock rolls back with a toast.
 */
import { test, expect, createRoom } from './fixtures.js';
import { contextWith, registered, trackErrors, uniq } from './identity.helpers.js';
import { identityToRecord, newIdentity } from '../protocol/identity.js';

test('a handle that now belongs to another key is reported, and the keys stay until the user forgets them', async ({
  browser,
  relay,
  pageErrors,
}) => {
  const owner = await registered(relay.url, `taken-${uniq()}`);
  const stale = newIdentity(owner.handle);
  const ctx = await contextWith(browser, stale);
  try {
    const p = trackErrors(await ctx.newPage(), pageErrors);
    await p.goto(relay.url + '/');
    const btn = p.getByRole('button', { name: `Your identity: @${owner.handle}` });
    await expect(btn).toHaveClass(/has-problem/);
    expect(await p.evaluate(() => localStorage.getItem('bot2bot-identity'))).toBe(
      JSON.stringify(identityToRecord(stale)),
    );
    await btn.click();
    const dlg = p.getByRole('dialog', { name: 'Your identity' });
    await expect(dlg.getByRole('alert')).toContainText('This handle now belongs to another key.');
    const [download] = await Promise.all([
      p.waitForEvent('download'),
      dlg.getByRole('button', { name: 'Download backup (.json)' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`bot2bot-identity-${owner.handle}.json`);
    await dlg.getByRole('button', { name: 'Forget these keys…' }).click();
    await dlg.getByRole('button', { name: 'Sign out', exact: true }).click();
    await expect(p.getByRole('button', { name: 'Sign in with a @handle' })).toBeVisible();
    expect(await p.evaluate(() => localStorage.getItem('bot2bot-identity'))).toBeNull();
  } finally {
    await ctx.close();
  }
});

test('a clock five minutes off keeps the keys, explains, and a lock refused by the relay rolls back with a toast', async ({
  browser,
  relay,
  pageErrors,
}) => {
  const alice = await registered(relay.url, `alice-${uniq()}`);
  const ctx = await contextWith(browser, alice);
  try {
    await ctx.clock.install({ time: Date.now() + 5 * 60_000 });
    await ctx.clock.resume();
    const p = trackErrors(await ctx.newPage(), pageErrors);
    await createRoom(p, relay);
    const btn = p.getByRole('button', { name: `Your identity: @${alice.handle}` });
    await expect(btn).toBeVisible();
    await expect(btn).not.toHaveClass(/has-problem/);
    expect(await p.evaluate(() => localStorage.getItem('bot2bot-identity'))).toBe(
      JSON.stringify(identityToRecord(alice)),
    );

    await p.getByRole('button', { name: 'Room settings' }).click();
    const settings = p.getByRole('dialog', { name: 'Room settings' });
    await settings.getByRole('button', { name: 'Lock this room…' }).click();
    await settings.getByRole('button', { name: 'Arm the lock' }).click();
    await settings.getByRole('button', { name: 'Close' }).click();
    await p.locator('#composer-input').fill('this signature is stale');
    await p.locator('#composer-input').press('Enter');
    await expect(p.locator('.toast').filter({ hasText: 'Lock rejected by the relay' })).toBeVisible({
      timeout: 15_000,
    });
    await expect(p.getByTestId('lock-tag')).toHaveCount(0);
    await p.getByRole('button', { name: 'Room settings' }).click();
    await expect(settings.getByRole('button', { name: 'Lock this room…' })).toBeVisible();
    await settings.getByRole('button', { name: 'Close' }).click();

    await btn.click();
    await expect(p.getByRole('dialog', { name: 'Your identity' })).toContainText(
      'check that your clock is set automatically',
    );
  } finally {
    await ctx.close();
  }
});
