/** Shared steps of the identity specs: register over HTTP, inject, or sign in through the UI. */
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { expect } from './fixtures.js';
import { newIdentity, registerBody, identityToRecord, type Identity } from '../protocol/identity.js';

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
