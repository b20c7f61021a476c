/**
 * Phones and pointers at every width: nothing opened leaves the viewport, the hover toolbar stays
 * off the message it belongs to, touch devices get the action sheet and a composer where Enter is
 * a new line. Screenshots of every width and mode go to /tmp/shots/phone for a person to look at.
 */
import { mkdirSync } from 'node:fs';
import { test, expect, createRoom, openRoom, send, bubble, waitOnline } from './fixtures.js';
import type { Locator, Page } from '@playwright/test';
import { contextWith, registered, uniq } from './identity.helpers.js';
import { Room } from '../agent/sdk/index.js';

const SHOTS = '/tmp/shots/phone';
mkdirSync(SHOTS, { recursive: true });

const WIDTHS = [320, 360, 390, 768, 1024, 1280];
type Box = { x: number; y: number; width: number; height: number };

async function box(l: Locator): Promise<Box> {
  const b = await l.boundingBox();
  expect(b, 'element has a box').not.toBeNull();
  return b!;
}

async function expectInViewport(page: Page, l: Locator, what: string) {
  const b = await box(l);
  const vp = page.viewportSize()!;
  expect(b.x, `${what}: left`).toBeGreaterThanOrEqual(-0.5);
  expect(b.y, `${what}: top`).toBeGreaterThanOrEqual(-0.5);
  expect(b.x + b.width, `${what}: right`).toBeLessThanOrEqual(vp.width + 0.5);
  expect(b.y + b.height, `${what}: bottom`).toBeLessThanOrEqual(vp.height + 0.5);
}

const intersects = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** A finger held on the element: Chromium's touch events, as a phone sends them. */
async function longPress(page: Page, l: Locator) {
  const b = await box(l);
  const x = b.x + Math.min(20, b.width / 2);
  const y = b.y + b.height / 2;
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y }] });
  await page.waitForTimeout(700);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
}

const LONG =
  'This is a longer message that wraps over several lines on a phone and fills the bubble to its maximum width on a laptop, so the toolbar has to go somewhere else.';

test('menus, pickers, sheets and the hover toolbar stay on screen and off the message at every width', async ({
  relay,
  newPage,
}) => {
  test.setTimeout(240_000);
  const other = await newPage();
  const url = await createRoom(other, relay);
  await send(other, 'Zed here');
  await send(other, LONG);
  await send(other, '> a quote\n\nok');

  for (const touch of [false, true]) {
    for (const width of WIDTHS) {
      const tag = `${width}-${touch ? 'touch' : 'pointer'}`;
      const p = await newPage({ viewport: { width, height: width < 700 ? 780 : 800 }, touch });
      await openRoom(p, url);
      await send(p, 'mine');
      await expect(bubble(p, 'Zed here')).toBeVisible();
      await p.screenshot({ path: `${SHOTS}/${tag}-room.png` });

      // No permanent action rows on touch; nothing visible until asked.
      if (touch) await expect(bubble(p, 'Zed here').getByRole('button', { name: 'Reply' })).toBeHidden();

      // Invite (with its QR code) and Save menus.
      await p.getByRole('button', { name: 'Invite people or agents' }).click();
      const invite = p.locator('.popover.invite .popover-panel');
      await p.getByRole('button', { name: 'Show QR code' }).click();
      await expect(p.getByRole('img', { name: 'QR code of the invite link' })).toBeVisible();
      await expectInViewport(p, invite, `invite@${tag}`);
      await p.screenshot({ path: `${SHOTS}/${tag}-invite.png` });
      await p.keyboard.press('Escape');
      await expect(invite).toBeHidden();
      await p.getByRole('button', { name: 'Save chat' }).click();
      await expectInViewport(p, p.locator('.popover-panel'), `save@${tag}`);
      await p.keyboard.press('Escape');

      // Dialogs.
      await p.getByRole('button', { name: 'Search messages' }).click();
      await expectInViewport(p, p.locator('dialog.dialog-search'), `search@${tag}`);
      await p.keyboard.press('Escape');
      await expect(p.locator('dialog.dialog-search')).toBeHidden();
      await p.getByRole('button', { name: 'Room settings' }).click();
      const settings = p.locator('dialog[open]');
      await expectInViewport(p, settings, `settings@${tag}`);
      await p.keyboard.press('Escape');
      await expect(settings).toBeHidden();

      if (!touch) {
        // The toolbar never covers the text or the sender line of its message, and stays inside.
        for (const text of ['Zed here', LONG.slice(0, 30), 'ok', 'mine']) {
          const b = bubble(p, text).last();
          await b.scrollIntoViewIfNeeded();
          await b.locator('.bubble-card').hover();
          const bar = b.locator('.actions');
          await expect(bar).toHaveCSS('opacity', '1');
          const tb = await box(bar);
          const body = await box(b.locator('.body'));
          expect(intersects(tb, body), `toolbar over text "${text}"@${tag}`).toBe(false);
          if ((await b.locator('.meta').count()) > 0)
            expect(
              intersects(tb, await box(b.locator('.meta'))),
              `toolbar over sender "${text}"@${tag}`,
            ).toBe(false);
          await expectInViewport(p, bar, `toolbar "${text}"@${tag}`);
          const list = await box(p.locator('.messages'));
          expect(tb.x).toBeGreaterThanOrEqual(list.x);
          expect(tb.x + tb.width).toBeLessThanOrEqual(list.x + list.width);
        }
        // The reaction picker of someone else's and of one's own message.
        for (const text of ['Zed here', 'mine']) {
          const b = bubble(p, text).last();
          await b.locator('.bubble-card').hover();
          await b.getByRole('button', { name: 'Add reaction' }).click();
          const picker = b.locator('.picker');
          await expect(picker).toBeVisible();
          await expectInViewport(p, picker, `picker "${text}"@${tag}`);
          // Inside the message list too: nothing of it hides under the header or the composer.
          const pb = await box(picker);
          const lb = await box(p.locator('.messages'));
          expect(pb.y, `picker top "${text}"@${tag}`).toBeGreaterThanOrEqual(lb.y - 0.5);
          expect(pb.y + pb.height, `picker bottom "${text}"@${tag}`).toBeLessThanOrEqual(
            lb.y + lb.height + 0.5,
          );
          await expectInViewport(
            p,
            picker.getByRole('button', { name: 'Add' }),
            `picker Add "${text}"@${tag}`,
          );
          if (text === 'Zed here') await p.screenshot({ path: `${SHOTS}/${tag}-picker.png` });
          await p.keyboard.press('Escape');
          await expect(picker).toBeHidden();
        }
      } else {
        // Tap opens the sheet; every target in it is at least 44 px; it lies inside the screen.
        await bubble(p, 'Zed here').locator('.body').tap();
        const sheet = p.locator('dialog.message-sheet');
        await expect(sheet).toBeVisible();
        await expectInViewport(p, sheet, `sheet@${tag}`);
        const small = await sheet.locator('button, input').evaluateAll((els) =>
          els
            .map((el) => ({
              name: el.getAttribute('aria-label') ?? el.textContent,
              ...el.getBoundingClientRect().toJSON(),
            }))
            .filter((r) => r.height < 44 || r.width < 44),
        );
        expect(small, `small targets@${tag}`).toEqual([]);
        await p.screenshot({ path: `${SHOTS}/${tag}-sheet.png` });
        await sheet.getByRole('button', { name: 'React with 👍' }).tap();
        await expect(sheet).toBeHidden();
        await expect(bubble(p, 'Zed here').locator('.pill')).toContainText('👍');
      }
      await p.close();
    }
  }
});

test('touch: long-press opens the action sheet, Enter makes a new line and the button sends', async ({
  relay,
  newPage,
}) => {
  const other = await newPage();
  const url = await createRoom(other, relay);
  for (let i = 0; i < 8; i++) await send(other, `filler ${i}`);
  await send(other, 'hold me');
  const p = await newPage({ viewport: { width: 390, height: 844 }, touch: true });
  await openRoom(p, url);
  // The newest message sits where the sheet opens: lifting the finger must not tap the sheet.
  await longPress(p, bubble(p, 'hold me').locator('.body'));
  const sheet = p.locator('dialog.message-sheet');
  await expect(sheet).toBeVisible();
  await expect(p.locator('.reply-pill')).toHaveCount(0);
  await expect(bubble(p, 'hold me').locator('.pill')).toHaveCount(0);
  // An older message, scrolled to first, opens its sheet the same way.
  await p.keyboard.press('Escape');
  await expect(sheet).toBeHidden();
  await bubble(p, 'filler 0').scrollIntoViewIfNeeded();
  await longPress(p, bubble(p, 'filler 0').locator('.body'));
  await expect(sheet).toBeVisible();
  await expect(sheet.getByRole('heading')).toContainText('Message from');
  await p.keyboard.press('Escape');
  await expect(sheet).toBeHidden();
  await longPress(p, bubble(p, 'hold me').locator('.body'));
  await expect(sheet).toBeVisible();
  await expect(sheet.getByRole('heading')).toContainText('Message from');
  for (const b of await sheet.locator('.sheet-item').all())
    expect((await box(b)).height).toBeGreaterThanOrEqual(44);
  await sheet.getByRole('button', { name: 'Reply' }).tap();
  await expect(p.locator('.reply-pill')).toContainText('hold me');

  await expect(p.locator('#composer-hint')).toContainText('Enter for a new line');
  const input = p.locator('#composer-input');
  await input.fill('line one');
  await input.press('Enter');
  await input.pressSequentially('line two');
  await expect(input).toHaveValue('line one\nline two');
  await expect(p.locator('article.bubble-self')).toHaveCount(0);
  await p.getByRole('button', { name: 'Send message' }).tap();
  await expect(bubble(other, 'line two')).toBeVisible();
  await expect(bubble(other, 'line two').locator('.body')).toContainText('line one');

  // A pointer device keeps Enter to send and says so.
  const d = await newPage();
  await openRoom(d, url);
  await expect(d.locator('#composer-hint')).toContainText('Enter to send');
});

test('a 390 px phone fits ten one-line messages at about twice their text height each', async ({
  relay,
  newPage,
}) => {
  const a = await newPage();
  const url = await createRoom(a, relay);
  for (let i = 0; i < 10; i++) await send(a, `short ${i}`);
  for (const touch of [true, false]) {
    const p = await newPage({ viewport: { width: 390, height: 844 }, touch });
    await openRoom(p, url);
    await expect(bubble(p, 'short 9')).toBeVisible();
    const r = await p.evaluate(() => {
      const bs = [...document.querySelectorAll<HTMLElement>('article.bubble')].slice(-10);
      const line = bs[5]!.querySelector('.body p')!.getBoundingClientRect().height;
      const first = bs[0]!.getBoundingClientRect().top;
      const last = bs[9]!.getBoundingClientRect().bottom;
      return {
        line,
        per: (last - first) / 10,
        sheetRows: document.querySelectorAll('.actions .act:not(.act-more)').length,
      };
    });
    expect(r.per, `per message (line ${r.line}px, touch ${touch})`).toBeLessThanOrEqual(r.line * 2.1);
    await p.screenshot({ path: `${SHOTS}/390-${touch ? 'touch' : 'pointer'}-ten.png` });
  }
});

test('the composer stays above a shrinking visual viewport (soft keyboard)', async ({ relay, newPage }) => {
  const a = await newPage({ viewport: { width: 390, height: 844 }, touch: true });
  await createRoom(a, relay);
  await a.locator('#composer-input').tap();
  // A soft keyboard takes the lower part of the screen: the visual viewport shrinks.
  await a.setViewportSize({ width: 390, height: 420 });
  await expect
    .poll(() => a.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--vv-h')))
    .toBe('420px');
  const send = await box(a.getByRole('button', { name: 'Send message' }));
  expect(send.y + send.height).toBeLessThanOrEqual(420);
  await a.screenshot({ path: `${SHOTS}/390-touch-keyboard.png` });
});

test('sign-in is in the phone header', async ({ relay, newPage }) => {
  for (const width of [320, 390]) {
    const p = await newPage({ viewport: { width, height: 740 }, touch: true });
    await createRoom(p, relay);
    const btn = p.locator('.topbar').getByRole('button', { name: 'Sign in with a @handle' });
    await expect(btn).toBeVisible();
    await expectInViewport(p, btn, `sign-in@${width}`);
    const b = await box(btn);
    expect(b.height).toBeGreaterThanOrEqual(40);
    await btn.tap();
    await expect(p.locator('dialog[open]')).toBeVisible();
    await expectInViewport(p, p.locator('dialog[open]'), `identity dialog@${width}`);
    await p.screenshot({ path: `${SHOTS}/${width}-touch-signin.png` });
  }
});

test('search: Enter goes to the first match, then the next; one Esc closes; Ctrl+K reopens at once', async ({
  relay,
  newPage,
}) => {
  const a = await newPage();
  await createRoom(a, relay);
  for (const t of ['apple one', 'banana', 'apple two']) await send(a, t);
  await a.getByRole('button', { name: 'Search messages' }).click();
  const input = a.locator('#search-input');
  await input.fill('apple');
  await input.press('Enter');
  await expect(a.locator('dialog.dialog-search')).toBeHidden();
  await expect(bubble(a, 'apple two')).toHaveClass(/is-flash/);
  await a.keyboard.press('Control+k');
  await expect(input).toHaveValue('apple');
  await input.press('Enter');
  await expect(bubble(a, 'apple one')).toHaveClass(/is-flash/);
  await a.keyboard.press('Control+k');
  await expect(a.locator('dialog.dialog-search')).toBeVisible();
  await input.press('Escape');
  await expect(a.locator('dialog.dialog-search')).toBeHidden();
  // Reopening right after a jump, before the closed dialog's queued close event, keeps it open.
  await a.keyboard.press('Control+k');
  await input.press('Enter');
  await a.keyboard.press('Control+k');
  await expect(a.locator('dialog.dialog-search')).toBeVisible();
  await input.pressSequentially(' two');
  await expect(input).toHaveValue('apple two');
  await expect(a.locator('dialog.dialog-search')).toBeVisible();
  await input.press('Escape');
  await expect(a.locator('dialog.dialog-search')).toBeHidden();
});

test("a second tab of the same browser is the same person; renaming keeps earlier messages as one's own", async ({
  relay,
  browser,
}) => {
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 800 } });
  try {
    const t1 = await ctx.newPage();
    const url = await createRoom(t1, relay as never);
    await send(t1, 'from tab one');
    const t2 = await ctx.newPage();
    await t2.goto(url);
    await waitOnline(t2);
    await expect(t2.locator('#name-input')).toHaveValue(await t1.locator('#name-input').inputValue());
    await expect(t2.locator('article.bubble-self').filter({ hasText: 'from tab one' })).toBeVisible();
    await send(t2, 'from tab two');
    await expect(t1.locator('article.bubble-self').filter({ hasText: 'from tab two' })).toBeVisible();
    // One person in the rail of a third browser.
    await expect(t1.locator('.people .person')).toHaveCount(1);

    // Rename in tab one: both tabs follow, and earlier messages stay one's own.
    const name = t1.locator('#name-input');
    await name.fill('renamed-me');
    await name.press('Enter');
    await expect(t2.locator('#name-input')).toHaveValue('renamed-me');
    for (const t of [t1, t2]) {
      await expect(t.locator('article.bubble-self').filter({ hasText: 'from tab one' })).toBeVisible();
      await expect(t.locator('article.bubble-self').filter({ hasText: 'from tab two' })).toBeVisible();
    }
  } finally {
    await ctx.close();
  }
});

test("quotes inside one's own bubble keep at least 4.5:1 contrast", async ({ relay, newPage }) => {
  for (const scheme of ['light', 'dark'] as const) {
    const a = await newPage();
    await a.emulateMedia({ colorScheme: scheme });
    await createRoom(a, relay);
    await send(a, '> quoted words\n\nreply');
    const ratio = await a.locator('article.bubble-self blockquote').evaluate((q) => {
      const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
      const lum = (c: number[]) => {
        const [r, g, b] = c.map((v) => {
          const s = v / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
      };
      const fg = lum(rgb(getComputedStyle(q).color));
      const bg = lum(rgb(getComputedStyle(q.closest('.bubble-card')!).backgroundColor));
      return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    });
    expect(ratio, scheme).toBeGreaterThanOrEqual(4.5);
  }
});

test('unknown paths answer 404 with the app, app routes 200', async ({ relay, request, newPage }) => {
  for (const path of ['/nowhere', '/rooms/ABC', '/docs/missing'])
    expect((await request.get(relay.url + path)).status(), path).toBe(404);
  for (const path of ['/', '/docs', '/dm', '/agents', '/room/ABCDEFGHJK'])
    expect((await request.get(relay.url + path)).status(), path).toBe(200);
  const p = await newPage();
  await p.goto(relay.url + '/nowhere');
  await expect(p.getByRole('heading', { level: 1 })).toBeVisible();
});

test('on a phone the DM page shows the inbox before the compose form', async ({ relay, browser }) => {
  const me = await registered(relay.url, `ph-${uniq()}`);
  const ctx = await contextWith(browser, me, { viewport: { width: 390, height: 844 } });
  try {
    const p = await ctx.newPage();
    await p.goto(relay.url + '/dm');
    const inbox = p.locator('.dm-inbox');
    await expect(inbox).toBeVisible();
    const ib = await box(inbox);
    const cb = await box(p.locator('.dm-compose'));
    expect(ib.y).toBeLessThan(cb.y);
    expect(ib.y).toBeLessThan(844);
    await p.screenshot({ path: `${SHOTS}/390-dm.png` });
  } finally {
    await ctx.close();
  }
});

test('an agent that stops streaming leaves the rail at once, not after its last heartbeat expires', async ({
  relay,
  newPage,
}) => {
  const a = await newPage();
  const url = await createRoom(a, relay);
  const ac = new AbortController();
  const agent = new Room(url, { name: 'quitter-bot', onWarning: () => undefined });
  const done = (async () => {
    for await (const _m of agent.stream({ signal: ac.signal })) void _m;
  })().catch(() => undefined);
  const row = a.locator('.people .person').filter({ hasText: 'quitter-bot' });
  await expect(row).toHaveCount(1);
  // Its open stream is what makes it active (the relay's list of names, read whole).
  await expect(row.locator('.activity')).toHaveAttribute('title', 'Connected now');
  ac.abort();
  await done;
  // The relay keeps its last heartbeat for a minute; the rail knows its stream closed.
  await expect(row).toHaveCount(0, { timeout: 5_000 });
});

test('every header control fits at 320 and 360 px, signed in or not', async ({ relay, browser, newPage }) => {
  const me = await registered(relay.url, `hd-${uniq()}`);
  const anon = await newPage();
  const url = await createRoom(anon, relay);
  for (const width of [320, 360]) {
    const ctx = await contextWith(browser, me, { viewport: { width, height: 740 } });
    try {
      const signed = await ctx.newPage();
      await openRoom(signed, url);
      await expect(signed.locator('.topbar .dm-link')).toBeVisible();
      const pages = [signed, await newPage({ viewport: { width, height: 740 }, touch: true })];
      await openRoom(pages[1]!, url);
      for (const p of pages) {
        const controls = p.locator('.topbar').locator('button:visible, a:visible');
        expect(await controls.count()).toBeGreaterThanOrEqual(6);
        for (const c of await controls.all())
          await expectInViewport(p, c, `${await c.getAttribute('aria-label')}@${width}`);
      }
    } finally {
      await ctx.close();
    }
  }
});
