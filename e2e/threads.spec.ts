import { test, expect, createRoom, openRoom, send, bubble as anyBubble } from './fixtures.js';
import type { Page } from '@playwright/test';
import { AxeBuilder } from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';

const SHOTS = '/tmp/shots';

/** Replies quote their parent, so the first match in seq order is the message itself. */
const bubble = (page: Page, text: string) => anyBubble(page, text).first();

async function replyTo(page: Page, parentText: string, text: string) {
  const parent = bubble(page, parentText);
  await parent.hover();
  await parent.getByRole('button', { name: 'Reply', exact: true }).click();
  await send(page, text);
}

test('thread pane: view thread, live updates, escape, reply to root, narrow screens replace the chat', async ({
  relay,
  newPage,
}) => {
  const alice = await newPage();
  const url = await createRoom(alice, relay);
  const bob = await newPage();
  await openRoom(bob, url);
  await send(alice, 'root of the thread');
  await send(alice, 'unrelated chatter');
  await replyTo(bob, 'root of the thread', 'first reply');
  await replyTo(alice, 'first reply', 'reply to the reply');
  await replyTo(bob, 'root of the thread', 'second reply');

  const root = bubble(alice, 'root of the thread');
  await expect(root.getByRole('button', { name: 'View thread · 2 replies' })).toBeVisible();
  await expect(
    bubble(alice, 'first reply').getByRole('button', { name: 'View thread · 1 reply' }),
  ).toBeVisible();
  await expect(bubble(alice, 'unrelated chatter').locator('.thread-btn')).toHaveCount(0);

  // Opening from a nested reply finds the same root and lists the whole chain in seq order.
  await bubble(alice, 'first reply').getByRole('button', { name: 'View thread · 1 reply' }).click();
  const pane = alice.getByRole('complementary', { name: 'Thread' });
  await expect(pane).toContainText('4 messages in this reply chain');
  await expect(pane.locator('.thread-card .body')).toHaveText([
    'root of the thread',
    'first reply',
    'reply to the reply',
    'second reply',
  ]);
  await expect(pane.locator('.thread-card').first()).toContainText('Thread root');
  // Desktop: the pane sits beside the chat and the rail.
  await expect(alice.locator('.chat')).toBeVisible();
  await expect(alice.locator('.rail')).toBeVisible();

  // Live: a new reply from Bob and a delete both re-render it.
  await replyTo(bob, 'second reply', 'third level');
  await expect(pane).toContainText('5 messages in this reply chain');
  const doomed = bubble(bob, 'third level');
  await doomed.hover();
  await doomed.getByRole('button', { name: 'Delete for everyone' }).click();
  await bob.getByRole('dialog').getByRole('button', { name: 'Delete for everyone' }).click();
  await expect(pane).toContainText('4 messages in this reply chain');

  // Escape closes and returns focus to the button that opened it.
  await pane.getByRole('heading', { name: 'Thread' }).focus();
  await alice.keyboard.press('Escape');
  await expect(pane).toBeHidden();
  await expect(bubble(alice, 'first reply').locator('.thread-btn')).toBeFocused();
  // Escape from the conversation closes it as well.
  await root.getByRole('button', { name: /View thread/ }).click();
  await expect(pane).toBeVisible();
  await alice.locator('.messages').focus();
  await alice.keyboard.press('Escape');
  await expect(pane).toBeHidden();

  // "Reply to thread root" arms the composer and closes the pane.
  await root.getByRole('button', { name: /View thread/ }).click();
  await pane.getByRole('button', { name: 'Reply to thread root' }).click();
  await expect(pane).toBeHidden();
  await expect(alice.locator('.reply-pill')).toContainText('root of the thread');
  await expect(alice.locator('#composer-input')).toBeFocused();
  await alice.keyboard.type('answer via the thread');
  await alice.keyboard.press('Enter');
  await expect(bubble(bob, 'answer via the thread').locator('.reply-ref')).toContainText(
    'root of the thread',
  );
  await expect(
    bubble(bob, 'root of the thread').getByRole('button', { name: 'View thread · 3 replies' }),
  ).toBeVisible();

  // Phone: the pane replaces the chat; jumping closes it and lands on the message.
  const phone = await newPage({ viewport: { width: 390, height: 844 } });
  await openRoom(phone, url);
  await bubble(phone, 'root of the thread')
    .getByRole('button', { name: /View thread/ })
    .click();
  const phonePane = phone.getByRole('complementary', { name: 'Thread' });
  await expect(phonePane).toBeVisible();
  await expect(phone.locator('.chat')).toBeHidden();
  const box = await phonePane.boundingBox();
  expect(box!.width).toBeGreaterThan(380);
  await phonePane
    .locator('.thread-card')
    .filter({ hasText: 'second reply' })
    .getByRole('button', { name: /Jump to message/ })
    .click();
  await expect(phonePane).toBeHidden();
  await expect(bubble(phone, 'second reply')).toBeInViewport();
  await expect(bubble(phone, 'second reply')).toBeFocused();
});

test('an open thread: no overflow from 320 px up, no serious axe findings, screenshots', async ({
  relay,
  newPage,
}) => {
  mkdirSync(SHOTS, { recursive: true });
  const alice = await newPage();
  const url = await createRoom(alice, relay);
  await send(alice, 'Can someone review the **deploy plan**? Steps:\n- build\n- migrate\n- roll out');
  await replyTo(alice, 'deploy plan', 'Looks good, but run `migrate --dry-run` first.');
  await replyTo(
    alice,
    'dry-run',
    'Averyveryveryverylongwordwithoutspacesthatmustwrapinsidethethreadcardnicely and a link https://example.com/a/very/long/path/that/keeps/going',
  );
  await send(alice, 'Unrelated: lunch at 12?');
  for (const [name, vp] of [
    ['w320', { width: 320, height: 640 }],
    ['phone', { width: 390, height: 844 }],
    ['tablet', { width: 860, height: 1024 }],
    ['desktop', { width: 1280, height: 800 }],
  ] as const) {
    for (const scheme of ['light', 'dark'] as const) {
      const p = await newPage({ viewport: vp });
      await p.emulateMedia({ colorScheme: scheme });
      await openRoom(p, url);
      await bubble(p, 'deploy plan')
        .getByRole('button', { name: /View thread/ })
        .click();
      const pane = p.getByRole('complementary', { name: 'Thread' });
      await expect(pane).toContainText('3 messages in this reply chain');
      const r = await p.evaluate(() => ({
        sw: document.documentElement.scrollWidth,
        cw: document.documentElement.clientWidth,
        pane: document.querySelector('.thread-pane')!.scrollWidth,
        paneW: document.querySelector('.thread-pane')!.clientWidth,
      }));
      expect(r.sw, `${name}: page overflow`).toBeLessThanOrEqual(r.cw);
      expect(r.pane, `${name}: pane overflow`).toBeLessThanOrEqual(r.paneW);
      if (scheme === 'dark' && (name === 'desktop' || name === 'w320')) {
        const axe = await new AxeBuilder({ page: p }).analyze();
        const bad = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
        expect(
          bad.map((v) => `${name}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
        ).toEqual([]);
      }
      await p.screenshot({ path: `${SHOTS}/thread-${name}-${scheme}.png` });
      await p.close();
    }
  }
});
