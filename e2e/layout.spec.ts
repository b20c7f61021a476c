import { AxeBuilder } from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { test, expect, createRoom, openRoom, send, bubble, type PageFactory } from './fixtures.js';
import type { Page } from '@playwright/test';

const SHOTS = '/tmp/shots';
mkdirSync(SHOTS, { recursive: true });

async function noHorizontalOverflow(page: Page, label: string) {
  const r = await page.evaluate(() => ({
    sw: document.documentElement.scrollWidth,
    cw: document.documentElement.clientWidth,
  }));
  expect(r.sw, `${label}: scrollWidth ${r.sw} > clientWidth ${r.cw}`).toBeLessThanOrEqual(r.cw);
}

async function seededRoom(newPage: PageFactory, relay: { url: string }) {
  const a = await newPage();
  const url = await createRoom(a, relay as never);
  await send(
    a,
    'Welcome! Here is a list:\n- **bold** item with `code`\n- a link https://example.com/some/really/long/path/that/should/wrap/nicely/without/overflowing',
  );
  await send(
    a,
    '```\nconst veryLongLine = "this code block line is intentionally long so it must scroll horizontally inside its own box";\n```',
  );
  await send(a, 'averyveryveryveryveryveryveryveryveryveryveryveryveryverylongwordwithoutanyspacesatall');
  return { a, url };
}

const WIDTHS = [320, 360, 390, 768, 1280];

test('no horizontal overflow on landing, docs and room at 320–1280 px', async ({ relay, newPage }) => {
  const { url } = await seededRoom(newPage, relay);
  for (const width of WIDTHS) {
    const p = await newPage({ viewport: { width, height: 800 } });
    await p.goto(relay.url + '/');
    await noHorizontalOverflow(p, `landing@${width}`);
    for (const path of ['/docs', '/connect', '/docs/agents']) {
      await p.goto(relay.url + path);
      await noHorizontalOverflow(p, `${path}@${width}`);
    }
    await openRoom(p, url);
    await expect(bubble(p, 'Welcome!')).toBeVisible();
    await noHorizontalOverflow(p, `room@${width}`);
    await p.close();
  }
});

test("an empty room's invite panel fits a phone: the link is cut short, not the panel", async ({
  relay,
  newPage,
}) => {
  for (const width of [320, 390]) {
    const p = await newPage({ viewport: { width, height: 800 } });
    await createRoom(p, relay);
    await expect(p.getByRole('heading', { name: 'Invite people and agents' })).toBeVisible();
    const r = await p.evaluate(() => {
      const box = (sel: string) => document.querySelector(sel)!.getBoundingClientRect();
      const link = document.querySelector<HTMLElement>('.url-text')!;
      return {
        vw: window.innerWidth,
        panel: box('.empty'),
        row: box('.url-row'),
        cut: link.scrollWidth > link.clientWidth,
      };
    });
    expect(r.panel.left, `panel@${width}`).toBeGreaterThanOrEqual(0);
    expect(r.panel.right, `panel@${width}`).toBeLessThanOrEqual(r.vw);
    expect(r.row.right, `link row@${width}`).toBeLessThanOrEqual(r.vw);
    expect(r.cut, `the link is ellipsized@${width}`).toBe(true);
    await p.close();
  }
});

test('the Invite menu with its snippets fits a phone; long commands scroll inside their box', async ({
  relay,
  newPage,
}) => {
  for (const width of [320, 390]) {
    const p = await newPage({ viewport: { width, height: 800 } });
    await createRoom(p, relay);
    await p.getByRole('button', { name: 'Invite people or agents' }).click();
    await expect(p.locator('[data-snippet="cli-listen"] pre')).toBeVisible();
    const r = await p.evaluate(() => {
      const panel = document.querySelector('.popover.invite .popover-panel')!.getBoundingClientRect();
      const pre = document.querySelector<HTMLElement>('[data-snippet="cli-listen"] pre')!;
      const small = Array.from(document.querySelectorAll<HTMLElement>('.popover.invite button'))
        .map((el) => ({
          name: el.getAttribute('aria-label') ?? el.textContent,
          h: el.getBoundingClientRect().height,
        }))
        .filter((b) => b.h < 40);
      return {
        vw: window.innerWidth,
        left: panel.left,
        right: panel.right,
        preScrolls: pre.scrollWidth > pre.clientWidth,
        small,
      };
    });
    expect(r.left, `panel@${width}`).toBeGreaterThanOrEqual(0);
    expect(r.right, `panel@${width}`).toBeLessThanOrEqual(r.vw);
    expect(r.preScrolls, `the command scrolls in its box@${width}`).toBe(true);
    expect(r.small).toEqual([]);
    await noHorizontalOverflow(p, `invite menu@${width}`);
    if (width === 390) {
      const axe = await new AxeBuilder({ page: p }).include('.popover.invite').analyze();
      expect(
        axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
      ).toEqual([]);
      await p.screenshot({ path: `${SHOTS}/invite-phone.png` });
    }
    await p.close();
  }
});

test('touch targets in the room are at least 44 px on a phone', async ({ relay, newPage }) => {
  const { url } = await seededRoom(newPage, relay);
  const p = await newPage({ viewport: { width: 390, height: 844 } });
  await p.emulateMedia({});
  await openRoom(p, url);
  await expect(bubble(p, 'Welcome!')).toBeVisible();
  const small = await p.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('.topbar button, .composer button, .send-btn'))
      .filter((el) => el.offsetParent !== null)
      .map((el) => ({
        name: el.getAttribute('aria-label') ?? el.textContent,
        h: el.getBoundingClientRect().height,
        w: el.getBoundingClientRect().width,
      }))
      .filter((r) => r.h < 40 || r.w < 40),
  );
  expect(small).toEqual([]);
});

test('axe finds no serious or critical violations', async ({ relay, newPage }) => {
  const { url } = await seededRoom(newPage, relay);
  const p = await newPage();
  for (const path of ['/', '/docs', '/connect', '/docs/agents', '/privacy']) {
    await p.goto(relay.url + path);
    const r = await new AxeBuilder({ page: p }).analyze();
    const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(bad.map((v) => `${path}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual(
      [],
    );
  }
  await openRoom(p, url);
  await expect(bubble(p, 'Welcome!')).toBeVisible();
  const r = await new AxeBuilder({ page: p }).analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    bad.map(
      (v) => `room: ${v.id} ${v.nodes.map((n) => n.target.join(' ') + ' ' + n.failureSummary).join(' | ')}`,
    ),
  ).toEqual([]);
});

test('screenshots at phone and desktop sizes', async ({ relay, newPage }) => {
  const { a, url } = await seededRoom(newPage, relay);
  for (const [name, vp] of [
    ['phone', { width: 390, height: 844 }],
    ['desktop', { width: 1280, height: 800 }],
  ] as const) {
    for (const scheme of ['light', 'dark'] as const) {
      const p = await newPage({ viewport: vp });
      await p.emulateMedia({ colorScheme: scheme });
      await p.goto(relay.url + '/');
      await p.screenshot({ path: `${SHOTS}/landing-${name}-${scheme}.png` });
      await openRoom(p, url);
      await send(p, `hey @${await a.locator('#name-input').inputValue()}, hi from the ${name} (${scheme})`);
      await expect(bubble(p, 'Welcome!')).toBeVisible();
      await p.screenshot({ path: `${SHOTS}/room-${name}-${scheme}.png` });
      await p.close();
    }
  }
  const touch = await newPage({ viewport: { width: 390, height: 844 }, touch: true });
  await openRoom(touch, url);
  // Touch devices carry no row of actions under each message: a tap opens them in a sheet.
  await expect(bubble(touch, 'Welcome!').getByRole('button', { name: 'Reply' })).toBeHidden();
  await touch.screenshot({ path: `${SHOTS}/room-phone-touch.png` });
  await bubble(touch, 'Welcome!').locator('.body p').first().tap();
  await expect(touch.locator('dialog.message-sheet').getByRole('button', { name: 'Reply' })).toBeVisible();
  await touch.screenshot({ path: `${SHOTS}/room-phone-touch-sheet.png` });
  const p = await newPage({ viewport: { width: 390, height: 844 } });
  await p.goto(relay.url + '/room/ABCDEFGHJK');
  await expect(p.getByRole('heading', { name: 'No room key.' })).toBeVisible();
  await p.screenshot({ path: `${SHOTS}/error-phone.png` });
  await p.goto(relay.url + '/docs');
  // The docs are a lazy chunk: without this the screenshot caught "Loading…".
  await expect(p.getByRole('heading', { name: 'API & agent quick start' })).toBeVisible();
  await p.screenshot({ path: `${SHOTS}/docs-phone.png`, fullPage: false });
});
