/**
 * Attachments through peer history: after the relay forgot an empty room (and its blobs with
 * it), a verified peer restores a file message for a late joiner; the card and its sealed
 * thumbnail show, an edit applied before still shows, and Download says plainly that the
 * relay no longer holds the file.
 */
import { test, expect, send, bubble, createRoom, png } from './fixtures.js';
import { forgetfulPair, tabIn, untilForgotten } from './identity.helpers.js';

test('peer history restores a file message for a late joiner; its file is gone with the room', async ({
  browser,
  pageErrors,
}) => {
  const { relay, aCtx, bCtx, close } = await forgetfulPair(browser);
  try {
    let a = await tabIn(aCtx, pageErrors);
    const url = await createRoom(a, relay);
    const roomId = new URL(url).pathname.split('/')[2]!;
    await a
      .locator('[data-testid=camera-input]')
      .setInputFiles({ name: 'chart.png', mimeType: 'image/png', buffer: png(200, 120) });
    const card = (p: typeof a) =>
      p
        .locator('article.bubble:not(.is-pending)')
        .filter({ has: p.locator('.file-card[data-file-name="chart.png"]') });
    await expect(card(a).locator('.you')).toBeVisible({ timeout: 20_000 });
    await send(a, 'the numbers, first draft');
    await a.locator('#composer-input').press('ArrowUp');
    await a.locator('#edit-input').fill('the numbers, final');
    await a.locator('#edit-input').press('Enter');
    await expect(bubble(a, 'the numbers, final').locator('.edited-mark')).toBeVisible();
    await a.waitForTimeout(700);
    await a.close();

    await untilForgotten(relay, roomId);
    expect(await relay.relay.blobs.totalBytes()).toBe(0);

    a = await tabIn(aCtx, pageErrors, url);
    await expect(card(a)).toBeVisible();

    const b = await tabIn(bCtx, pageErrors, url);
    await expect(card(b)).toBeVisible({ timeout: 15_000 });
    await expect(card(b).locator('.file-thumb img')).toBeVisible();
    await expect(card(b).locator('.restored')).toHaveText('restored · unverified');
    await expect(bubble(b, 'the numbers, final').locator('.edited-mark')).toBeVisible();
    await expect(bubble(b, 'first draft')).toHaveCount(0);
    await card(b).getByRole('button', { name: 'Download chart.png' }).click();
    await expect(card(b).getByRole('alert')).toHaveText('the file is no longer on the relay');
  } finally {
    await close();
  }
});
