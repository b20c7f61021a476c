/** Shared steps of the identity specs: register over HTTP, inject, or sign in through the UI. */
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { expect, waitOnline } from './fixtures.js';
import { newIdentity, registerBody, identityToRecord, type Identity } from '../protocol/identity.js';
import { startRelay, type TestRelay } from '../test-support/relay.js';

export const uniq = () => Math.random().toString(36).slice(2, 8);

export async function registered(base: string, handle: string): Promise<Identity> {
  const id = newIdentity(handle);
  const res = await fetch(`${base}/api/identity/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(registerBody(id)),
  });
  expect(res.status).toBe(201);
  return id;
}

/** A browser context that already holds `id` in the reference's plaintext record. */
export async function contextWith(
  browser: Browser,
  id: Identity,
  opts: { viewport?: { width: number; height: number } } = {},
): Promise<BrowserContext> {
  const ctx = await browser.newContext(opts.viewport ? { viewport: opts.viewport } : {});
  const record = JSON.stringify(identityToRecord(id));
  await ctx.addInitScript((r) => {
    if (!sessionStorage.getItem('e2e-injected')) {
      localStorage.setItem('bot2bot-identity', r);
      sessionStorage.setItem('e2e-injected', '1');
    }
  }, record);
  return ctx;
}

/**
 * Peer history's stage: a relay of its own that forgets an empty room fast, and @alice-<suffix>
 * and @bob-<suffix>, registered there, each in a browser context of their own.
 */
export async function forgetfulPair(browser: Browser): Promise<{
  relay: TestRelay;
  suffix: string;
  aCtx: BrowserContext;
  bCtx: BrowserContext;
  close(): Promise<void>;
}> {
  const relay = await startRelay({
    webDir: 'dist/web',
    limits: { roomGraceMs: 300, janitorIntervalMs: 100 },
  });
  const suffix = uniq();
  const aCtx = await contextWith(browser, await registered(relay.url, `alice-${suffix}`));
  const bCtx = await contextWith(browser, await registered(relay.url, `bob-${suffix}`));
  return {
    relay,
    suffix,
    aCtx,
    bCtx,
    async close() {
      await aCtx.close();
      await bCtx.close();
      await relay.close();
    },
  };
}

/** Resolves once the relay has evicted the room: its transcript is empty. */
export async function untilForgotten(relay: TestRelay, roomId: string): Promise<void> {
  await expect
    .poll(
      async () =>
        (
          (await (await fetch(`${relay.url}/api/rooms/${roomId}/transcript?after=0`)).json()) as {
            messages: unknown[];
          }
        ).messages.length,
      { timeout: 10_000 },
    )
    .toBe(0);
}

/** A new tab in `ctx` whose page errors fail the test; open in the room at `url` when given. */
export async function tabIn(ctx: BrowserContext, pageErrors: string[], url?: string): Promise<Page> {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  if (url) {
    await page.goto(url);
    await waitOnline(page);
  }
  return page;
}

export function trackErrors(page: Page, errors: string[]): Page {
  page.on('pageerror', (e) => errors.push(`${e.name}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|WebSocket connection/.test(m.text()))
      errors.push(`console: ${m.text()}`);
  });
  return page;
}

/** Create and register a handle through the sign-in dialog, kept without a passphrase. */
export async function signInUi(page: Page, handle: string): Promise<void> {
  await page.getByRole('button', { name: 'Sign in with a @handle' }).first().click();
  const dlg = page.getByRole('dialog', { name: 'Sign in with a @handle' });
  await dlg.getByLabel('Choose a handle').fill(handle);
  await dlg.getByLabel('Remember on this device without a passphrase').check();
  await dlg.getByRole('button', { name: 'Create and register' }).click();
  const done = page.getByRole('dialog', { name: `Signed in as @${handle}` });
  await expect(done).toBeVisible();
  await done.getByRole('button', { name: 'Done' }).click();
  await expect(page.getByRole('button', { name: `Your identity: @${handle}` }).first()).toBeVisible();
}

/** Verified state from the bubble's label: compact (grouped) bubbles carry no header. */
export async function expectVerified(bubble: ReturnType<Page['locator']>, handle: string): Promise<void> {
  await expect(bubble).toHaveAttribute('aria-label', new RegExp(`^@${handle}, verified at `));
}
