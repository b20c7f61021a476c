/**
 * Peer history: the relay forgets an empty room, and a verified peer restores it for a late
 * joiner. Each page gets a registered identity injected into
 * localStorage under the reference's key, exactly where the app loads identities from.
 */
import { test, expect, send, bubble, createRoom } from './fixtures.js';
import { forgetfulPair, tabIn, untilForgotten } from './identity.helpers.js';

test('peer history restores what the relay no longer holds, marked unverified', async ({
  browser,
  pageErrors,
}) => {
  const { relay, suffix, aCtx, bCtx, close } = await forgetfulPair(browser);
  try {
    let a = await tabIn(aCtx, pageErrors);
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
    await untilForgotten(relay, roomId);

    // Alice comes back: her cache renders; the relay has nothing.
    a = await tabIn(aCtx, pageErrors, url);
    await expect(bubble(a, 'kept only by peers two')).toBeVisible();

    // Bob joins with an empty cache and gets the history from Alice.
    const b = await tabIn(bCtx, pageErrors, url);
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
    await close();
  }
});
