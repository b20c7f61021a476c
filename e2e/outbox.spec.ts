import { test, expect, createRoom, openRoom, send, bubble, waitOnline } from './fixtures.js';

const POSTS = /\/api\/rooms\/[^/]+\/messages$/;

test('a post made while the relay is unreachable survives a reload and arrives once, by itself', async ({
  relay,
  newPage,
}) => {
  const alice = await newPage();
  const url = await createRoom(alice, relay);
  const bob = await newPage();
  await openRoom(bob, url);
  await send(alice, 'before the outage');
  await expect(bubble(bob, 'before the outage')).toBeVisible();

  // The relay is unreachable for posts (the outermost edge: the network).
  await alice.route(POSTS, (route) => route.abort('internetdisconnected'));
  await alice.locator('#composer-input').fill('written while offline');
  await alice.locator('#composer-input').press('Enter');
  const pending = alice.locator('article.bubble.is-pending').filter({ hasText: 'written while offline' });
  await expect(pending).toContainText('Waiting to send', { timeout: 20_000 });

  // Nothing readable at rest: the kept post is ciphertext only.
  const kept = await alice.evaluate(
    () =>
      new Promise<string>((resolve, reject) => {
        const open = indexedDB.open('bot2bot-web');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const req = open.result.transaction('outbox').objectStore('outbox').getAll();
          req.onsuccess = () => resolve(JSON.stringify(req.result));
        };
      }),
  );
  expect(kept).toContain('ciphertext');
  expect(kept).not.toContain('written while offline');

  await alice.reload();
  await expect(
    alice.locator('article.bubble.is-pending').filter({ hasText: 'written while offline' }),
  ).toContainText('Waiting to send');
  await alice.unroute(POSTS);
  // No click: the resend timer (or reconnect) sends it.
  await expect(bubble(bob, 'written while offline')).toBeVisible({ timeout: 30_000 });
  await expect(bubble(alice, 'written while offline')).toHaveClass(/bubble-self/);
  await expect(alice.locator('article.bubble.is-pending')).toHaveCount(0);
  await send(alice, 'after the outage');
  await expect(bubble(bob, 'after the outage')).toBeVisible();
  await expect(bubble(bob, 'written while offline')).toHaveCount(1);
  await bob.reload();
  await waitOnline(bob);
  await expect(bubble(bob, 'after the outage')).toBeVisible();
  await expect(bubble(bob, 'written while offline')).toHaveCount(1);
});

test('a post whose answer was lost is resent without a duplicate', async ({ relay, newPage }) => {
  const alice = await newPage();
  const url = await createRoom(alice, relay);
  const bob = await newPage();
  await openRoom(bob, url);
  let attempts = 0;
  await alice.route(POSTS, async (route) => {
    attempts++;
    if (attempts === 1) {
      // The post reaches the relay, which stores it; its answer never comes back.
      const res = await route.fetch();
      expect(res.status()).toBe(200);
      await route.abort('connectionreset');
      return;
    }
    await route.continue();
  });
  await send(alice, 'answer lost on the way back');
  await expect.poll(() => attempts).toBeGreaterThanOrEqual(2);
  await expect(bubble(bob, 'answer lost on the way back')).toBeVisible();
  await send(alice, 'next one');
  await expect(bubble(bob, 'next one')).toBeVisible();
  await expect(bubble(bob, 'answer lost on the way back')).toHaveCount(1);
  await expect(bubble(alice, 'answer lost on the way back')).toHaveCount(1);
});

test('a discarded post is never sent, even after a reload', async ({ relay, newPage }) => {
  const alice = await newPage();
  const url = await createRoom(alice, relay);
  await alice.route(POSTS, (route) => route.abort('internetdisconnected'));
  await alice.locator('#composer-input').fill('second thoughts');
  await alice.locator('#composer-input').press('Enter');
  const pending = alice.locator('article.bubble.is-pending').filter({ hasText: 'second thoughts' });
  await expect(pending).toContainText('Waiting to send', { timeout: 20_000 });
  await pending.getByRole('button', { name: 'Discard' }).click();
  await expect(pending).toHaveCount(0);
  await alice.unroute(POSTS);
  await alice.reload();
  await waitOnline(alice);
  await send(alice, 'a later message');
  await expect(alice.getByText('second thoughts')).toHaveCount(0);
  const bob = await newPage();
  await openRoom(bob, url);
  await expect(bubble(bob, 'a later message')).toBeVisible();
  await expect(bob.getByText('second thoughts')).toHaveCount(0);
});

test('two tabs holding the same unsent post send it once', async ({ relay, newPage }) => {
  const alice = await newPage();
  const url = await createRoom(alice, relay);
  const bob = await newPage();
  await openRoom(bob, url);
  // One handler per tab for the whole test: blocked first, then counting, with no gap between.
  let open = false;
  let posted = 0;
  const gate = async (route: import('@playwright/test').Route) => {
    if (!open) return route.abort('internetdisconnected');
    posted++;
    await route.continue();
  };
  await alice.route(POSTS, gate);
  await alice.locator('#composer-input').fill('only once please');
  await alice.locator('#composer-input').press('Enter');
  await expect(
    alice.locator('article.bubble.is-pending').filter({ hasText: 'only once please' }),
  ).toContainText('Waiting to send', { timeout: 20_000 });
  // A second tab of the same browser opens the room and finds the same post waiting.
  const tab2 = await alice.context().newPage();
  await tab2.route(POSTS, gate);
  await tab2.goto(url);
  await expect(
    tab2.locator('article.bubble.is-pending').filter({ hasText: 'only once please' }),
  ).toContainText('Waiting to send', { timeout: 20_000 });
  open = true;
  await expect(bubble(bob, 'only once please')).toBeVisible({ timeout: 30_000 });
  await expect(alice.locator('article.bubble.is-pending')).toHaveCount(0, { timeout: 30_000 });
  await expect(tab2.locator('article.bubble.is-pending')).toHaveCount(0, { timeout: 30_000 });
  await send(bob, 'marker after');
  await expect(bubble(alice, 'marker after')).toBeVisible();
  await expect(bubble(bob, 'only once please')).toHaveCount(1);
  await expect(bubble(tab2, 'only once please')).toHaveCount(1);
  expect(posted).toBe(1);
});
