import { readFileSync } from 'node:fs';
import { test, expect, createRoom, openRoom, send, bubble } from './fixtures.js';

test('replies, reactions, permalinks and search', async ({ relay, newPage }) => {
  const alice = await newPage();
  const url = await createRoom(alice, relay);
  const bob = await newPage();
  await openRoom(bob, url);
  await send(alice, 'the parent message');
  for (let i = 0; i < 25; i++) await send(alice, `filler ${i}`);

  // Reply from Bob.
  const parent = bubble(bob, 'the parent message').first();
  await parent.scrollIntoViewIfNeeded();
  await parent.hover();
  await parent.getByRole('button', { name: 'Reply' }).click();
  await expect(bob.locator('.reply-pill')).toContainText('the parent message');
  await send(bob, 'a reply');
  await expect(bob.locator('.reply-pill')).toHaveCount(0);
  await expect(bubble(alice, 'a reply').locator('.reply-ref')).toContainText('the parent message');

  // Reaction from Alice converges on Bob, toggles off again.
  const reply = bubble(alice, 'a reply');
  await reply.hover();
  await reply.getByRole('button', { name: 'Add reaction' }).click();
  await alice.getByRole('button', { name: 'React with 🔥' }).click();
  await expect(bubble(bob, 'a reply').locator('.pill')).toHaveText('🔥1');
  await bubble(alice, 'a reply').locator('.pill').click();
  await expect(bubble(bob, 'a reply').locator('.pill')).toHaveCount(0);

  // Permalink: a third page opens at the parent and flashes it; m is stripped afterwards.
  const parentId = await bubble(alice, 'the parent message').first().getAttribute('data-msg-id');
  const carol = await newPage();
  await carol.goto(`${url}&m=${parentId}`);
  await expect(bubble(carol, 'the parent message').first()).toBeInViewport();
  await expect(carol).toHaveURL(url);

  // Search.
  await bob.keyboard.press('Control+k');
  const dlg = bob.getByRole('dialog', { name: 'Search messages' });
  await dlg.getByRole('searchbox').fill('PARENT');
  await dlg.getByRole('button', { name: /the parent message/ }).click();
  await expect(dlg).toBeHidden();
  await expect(bubble(bob, 'the parent message').first()).toBeInViewport();
  // Deleting the parent turns the reply reference into a placeholder.
  const p = bubble(bob, 'the parent message').first();
  await p.hover();
  await p.getByRole('button', { name: 'Delete for everyone' }).click();
  await bob.getByRole('dialog').getByRole('button', { name: 'Delete for everyone' }).click();
  await expect(bubble(alice, 'a reply').locator('.reply-ref')).toHaveText('replying to a deleted message');
});

test('a failed send stays visible with a retry button', async ({ relay, newPage }) => {
  const page = await newPage();
  await createRoom(page, relay);
  let fail = true;
  await page.route('**/api/rooms/*/messages', (r) =>
    fail
      ? r.fulfill({ status: 400, contentType: 'application/json', body: '{"error":"bad message"}' })
      : r.continue(),
  );
  await page.locator('#composer-input').fill('will fail first');
  await page.locator('#composer-input').press('Enter');
  const failed = page.locator('.bubble.is-failed');
  await expect(failed).toContainText('Rejected by the relay: bad message.');
  fail = false;
  await failed.getByRole('button', { name: 'Retry' }).click();
  await expect(page.locator('.bubble.is-failed')).toHaveCount(0);
  await expect(bubble(page, 'will fail first')).toBeVisible();
});

test('save chat downloads TXT, Markdown and JSON without the key by default', async ({ relay, newPage }) => {
  const page = await newPage();
  const url = await createRoom(page, relay);
  await send(page, 'export me');
  const key = new URL(url).hash.slice(3);
  for (const [label, ext] of [
    ['Plain text', 'txt'],
    ['Markdown', 'md'],
    ['JSON', 'json'],
  ] as const) {
    await page.getByRole('button', { name: 'Save chat' }).click();
    const [dl] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: new RegExp(label) }).click(),
    ]);
    expect(dl.suggestedFilename()).toMatch(new RegExp(`^bot2bot-chat-[A-Z2-9]{10}-.*\\.${ext}$`));
    const text = readFileSync((await dl.path())!, 'utf8');
    expect(text).toContain('export me');
    expect(text).not.toContain(key);
  }
});
