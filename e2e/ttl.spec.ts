import { test, expect, createRoom, openRoom, send, bubble } from './fixtures.js';

test('a 30 s disappearing message vanishes on every client and stays gone', async ({ relay, newPage }) => {
  test.setTimeout(90_000);
  const alice = await newPage();
  const url = await createRoom(alice, relay);
  const bob = await newPage();
  await openRoom(bob, url);
  await send(alice, 'this one stays');

  await alice.getByRole('button', { name: 'Room settings' }).click();
  const dlg = alice.getByRole('dialog', { name: 'Room settings' });
  await dlg.getByRole('radio', { name: '30s' }).click();
  await expect(dlg.getByRole('radio', { name: '30s' })).toHaveAttribute('aria-checked', 'true');
  await dlg.getByLabel('Custom').fill('10s');
  await dlg.getByRole('button', { name: 'Set' }).click();
  await expect(dlg.getByRole('alert')).toHaveText('Minimum TTL is 30 seconds.');
  await dlg.getByRole('button', { name: 'Close' }).click();
  await expect(alice.locator('.composer-hint')).toContainText('disappearing after 30s');

  await send(alice, 'self-destructing note');
  await expect(bubble(bob, 'self-destructing note')).toBeVisible();
  await expect(bubble(bob, 'self-destructing note').locator('.ttl')).toHaveText('30s');

  await expect(bubble(alice, 'self-destructing note')).toHaveCount(0, { timeout: 40_000 });
  await expect(bubble(bob, 'self-destructing note')).toHaveCount(0, { timeout: 5_000 });
  await expect(bubble(bob, 'this one stays')).toBeVisible();
  await bob.reload();
  await expect(bubble(bob, 'this one stays')).toBeVisible();
  await expect(bubble(bob, 'self-destructing note')).toHaveCount(0);
});
