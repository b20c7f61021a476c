/**
 * The identity pages on phones and desktops: no sideways scrolling at 320 px, 44 px targets on
 * touch screens, no serious axe findings, and screenshots for review in /tmp/shots.
 */
import { mkdirSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { test, expect, openRoom, send, waitOnline, createRoom } from './fixtures.js';
import { contextWith, registered, trackErrors, uniq } from './identity.helpers.js';
import { Agent, Room } from '../agent/sdk/index.js';

const SHOTS = '/tmp/shots';
mkdirSync(SHOTS, { recursive: true });
const SIZES = [
  { name: 'phone', viewport: { width: 320, height: 640 } },
  { name: 'desktop', viewport: { width: 1280, height: 800 } },
];

async function noOverflow(page: Page, label: string) {
  const r = await page.evaluate(() => ({
    sw: document.documentElement.scrollWidth,
    cw: document.documentElement.clientWidth,
  }));
  expect(r.sw, `${label}: scrollWidth ${r.sw} > ${r.cw}`).toBeLessThanOrEqual(r.cw);
}

async function axe(page: Page, label: string) {
  const r = await new AxeBuilder({ page }).analyze();
  const bad = r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(bad, label).toEqual([]);
}

async function smallTargets(page: Page, selector: string) {
  return page.evaluate(
    (sel) =>
      Array.from(document.querySelectorAll<HTMLElement>(sel))
        .filter((el) => el.offsetParent !== null)
        .map((el) => ({
          name: el.getAttribute('aria-label') ?? el.textContent,
          h: el.getBoundingClientRect().height,
        }))
        .filter((r) => r.h < 44),
    selector,
  );
}

test('sign-in dialog, DM page and directory: phone and desktop', async ({ relay, newPage }) => {
  const tag = uniq();
  const bot = await registered(relay.url, `helper-${tag}`);
  await new Agent(relay.url, bot).publishProfile({
    display_name: 'Research helper',
    summary: 'Summarises papers and answers follow-up questions, in English and German.',
    framework: 'langgraph',
    framework_version: '0.2.1',
    capabilities: ['summarize', 'search'],
    topics: ['research'],
    languages: ['en', 'de'],
  });
  for (const s of SIZES) {
    const p = await newPage({ viewport: s.viewport, touch: s.name === 'phone' });
    await p.goto(relay.url + '/');
    await p.getByRole('button', { name: 'Sign in with a @handle' }).click();
    const dlg = p.getByRole('dialog', { name: 'Sign in with a @handle' });
    await dlg.getByLabel('Choose a handle').fill('ada');
    await noOverflow(p, `sign-in@${s.name}`);
    await p.screenshot({ path: `${SHOTS}/identity-signin-${s.name}.png`, fullPage: false });
    if (s.name === 'phone') expect(await smallTargets(p, 'dialog button, dialog .radio-card')).toEqual([]);
    await axe(p, `sign-in dialog@${s.name}`);
    await dlg.getByRole('button', { name: 'Close' }).click();

    await p.goto(relay.url + '/agents');
    await expect(p.getByRole('link', { name: /Research helper/ })).toBeVisible();
    await noOverflow(p, `agents@${s.name}`);
    await p.screenshot({ path: `${SHOTS}/identity-directory-${s.name}.png`, fullPage: true });
    await axe(p, `directory@${s.name}`);
    await p.getByRole('link', { name: /Research helper/ }).click();
    await expect(p.getByRole('button', { name: 'Send a DM' })).toBeVisible();
    await noOverflow(p, `profile@${s.name}`);
    await p.screenshot({ path: `${SHOTS}/identity-profile-${s.name}.png`, fullPage: true });
    await p.close();
  }
});

test('DM page and promote flow screenshots', async ({ browser, relay, pageErrors }) => {
  const tag = uniq();
  const alice = await registered(relay.url, `alice-${tag}`);
  const bob = await registered(relay.url, `bob-${tag}`);
  await new Agent(relay.url, bob).dm(
    alice.handle,
    'Hi Alice! The report is ready; want me to post a summary in the room?',
  );
  await new Agent(relay.url, alice).dm(bob.handle, 'warm-up');
  const ac = new AbortController();
  try {
    for (const s of SIZES) {
      const ctx = await contextWith(browser, alice, { viewport: s.viewport });
      const p = trackErrors(await ctx.newPage(), pageErrors);
      await p.goto(`${relay.url}/dm/${bob.handle}`);
      await expect(p.locator('.dm-item').first()).toBeVisible();
      await p.getByRole('textbox', { name: 'Message' }).fill('Yes please, keep it short.');
      await p.getByRole('button', { name: 'Send', exact: true }).click();
      // The sent list (kept on the device) is part of what must fit and pass axe.
      await expect(p.getByRole('list', { name: 'Sent messages' }).locator('.dm-item')).toContainText([
        'Yes please, keep it short.',
      ]);
      await p.getByRole('textbox', { name: 'Message' }).fill('And the numbers, please.');
      await noOverflow(p, `dm@${s.name}`);
      await p.screenshot({ path: `${SHOTS}/identity-dm-${s.name}.png`, fullPage: true });
      await axe(p, `dm@${s.name}`);

      await createRoom(p, relay);
      const agent = new Room(p.url(), {
        name: `helper-bot`,
        acceptAdoptions: true,
        saveIdentity: () => undefined,
        onWarning: () => undefined,
      });
      void (async () => {
        for await (const _m of agent.stream({ signal: ac.signal })) void _m;
      })().catch(() => undefined);
      if (s.name === 'phone') await p.getByRole('button', { name: 'Show participants' }).click();
      await p.getByRole('button', { name: 'Promote helper-bot to a signed handle' }).click();
      await expect(p.getByRole('dialog', { name: 'Promote to a signed @handle' })).toBeVisible();
      await noOverflow(p, `promote@${s.name}`);
      await p.screenshot({ path: `${SHOTS}/identity-promote-${s.name}.png` });
      await p
        .getByRole('dialog', { name: 'Promote to a signed @handle' })
        .getByRole('button', { name: 'Cancel' })
        .click();
      await ctx.close();
    }
  } finally {
    ac.abort();
  }
});

test('consent dialog and the signed-only gate on a phone', async ({ browser, relay, newPage }) => {
  const op = await registered(relay.url, `op-${uniq()}`);
  const ctx = await contextWith(browser, op);
  try {
    const a = await ctx.newPage();
    await a.goto(relay.url + '/');
    await a.getByRole('button', { name: 'New signed-only room' }).click();
    await waitOnline(a);
    const url = a.url();
    await send(a, 'Locked for signed senders from here on.');
    const t = await newPage({ viewport: { width: 320, height: 640 }, touch: true });
    await openRoom(t, url.replace('&signed=1', ''));
    const name = await t
      .locator('.composer input.name-chip')
      .inputValue()
      .catch(() => '');
    await expect(t.getByRole('region', { name: 'Signed senders only' })).toBeVisible();
    await noOverflow(t, 'gate@phone');
    await t.screenshot({ path: `${SHOTS}/identity-gate-phone.png` });
    expect(await smallTargets(t, '.signed-gate button')).toEqual([]);
    // The name chip is hidden at 320 px; read the name from presence instead.
    const who =
      name ||
      (await a
        .locator('.rail .name-text')
        .filter({ hasText: /^visitor-/ })
        .first()
        .textContent())!;
    await a.getByRole('button', { name: `Promote ${who} to a signed handle` }).click();
    await a.getByLabel(`Handle for ${who}`).fill(`bot-${uniq()}`);
    await a.getByRole('button', { name: 'Send offer' }).click();
    await expect(t.getByRole('dialog', { name: 'A signed identity is offered to you' })).toBeVisible();
    await noOverflow(t, 'consent@phone');
    await t.screenshot({ path: `${SHOTS}/identity-consent-phone.png` });
    await axe(t, 'consent@phone');
  } finally {
    await ctx.close();
  }
});
