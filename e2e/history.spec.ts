/**
 * Peer history: the relay forgets an empty room, and a verified peer restores it for a late
 * joiner. Sign-in UI is a later issue, so each page gets a registered identity injected into
 * localStorage under the reference's key, exactly where the app loads identities from.
 */
import { test, expect, send, bubble, waitOnline, createRoom } from './fixtures.js';
import { startRelay } from '../test-support/relay.js';
import { newIdentity, registerBody, identityToRecord, type Identity } from '../protocol/identity.js';
import type { Browser, BrowserContext } from '@playwright/test';

async function registered(base: string, handle: string): Promise<Identity> {
  const id = newIdentity(handle);
  const res = await fetch(`${base}/api/identity/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(registerBody(id)),
  });
  expect(res.status).toBe(201);
  return id;
}

async function contextWith(browser: Browser, id: Identity): Promise<BrowserContext> {
  const ctx = await browser.newContext();
  const record = JSON.stringify(identityToRecord(id));
  await ctx.addInitScript((r) => localStorage.setItem('bot2bot-identity', r), record);
  return ctx;
}

test('peer history restores what the relay no longer holds, marked unverified', async ({
  browser,
  pageErrors,
}) => {
  const relay = await startRelay({
    webDir: 'dist/web',
    limits: { roomGraceMs: 300, janitorIntervalMs: 100 },
  });
  const suffix = Math.random().toString(36).slice(2, 8);
  const alice = await registered(relay.url, `alice-${suffix}`);
  const bob = await registered(relay.url, `bob-${suffix}`);
  const aCtx = await contextWith(browser, alice);
  const bCtx = await contextWith(browser, bob);
  try {
    let a = await aCtx.newPage();
    a.on('pageerror', (e) => pageErrors.push(e.message));
    const url = await createRoom(a, relay);
    const roomId = new URL(url).pathname.split('/')[2]!;
    await send(a, 'kept only by peers one');
    await send(a, 'kept only by peers two');
    await send(a, 'to be deleted before eviction');
    // Signed posts carry the relay's verified badge and the @handle name.
    await expect(bubble(a, 'kept only by peers one').locator('.verified')).toBeVisible();
    await expect(bubble(a, 'kept only by peers one').locator('.sender')).toHaveText(`@alice-${suffix}`);
    const doomed = bubble(a, 'to be deleted before eviction');
    await doomed.hover();
    await doomed.getByRole('button', { name: 'Delete for everyone' }).click();
    await a.getByRole('dialog').getByRole('button', { name: 'Delete for everyone' }).click();
    await expect(doomed).toHaveCount(0);
    await a.waitForTimeout(700);
    await a.close();

    // The relay evicts the empty room and its buffer.
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

    // Alice comes back: her cache renders; the relay has nothing.
    a = await aCtx.newPage();
    a.on('pageerror', (e) => pageErrors.push(e.message));
    await a.goto(url);
    await waitOnline(a);
    await expect(bubble(a, 'kept only by peers two')).toBeVisible();

    // Bob joins with an empty cache and gets the history from Alice.
    const b = await bCtx.newPage();
    b.on('pageerror', (e) => pageErrors.push(e.message));
    await b.goto(url);
    await waitOnline(b);
    await expect(bubble(b, 'kept only by peers one')).toBeVisible({ timeout: 15_000 });
    await expect(bubble(b, 'kept only by peers two')).toBeVisible();
    await expect(bubble(b, 'kept only by peers one').locator('.restored')).toHaveText(
      'restored · unverified',
    );
    await expect(bubble(b, 'kept only by peers one').locator('.verified')).toHaveCount(0);
    await expect(bubble(b, 'to be deleted before eviction')).toHaveCount(0);
    // Restored history is cached (re-sealed) and survives Bob's reload.
    await b.waitForTimeout(500);
    await b.reload();
    await expect(bubble(b, 'kept only by peers two')).toBeVisible();
  } finally {
    await aCtx.close();
    await bCtx.close();
    await relay.close();
  }
});
