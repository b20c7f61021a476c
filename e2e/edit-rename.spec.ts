/**
 * Editing one's own message after a rename: the edit must reach everyone (this browser included),
 * since edits apply only under the label the message was sent with.
 */
import { test, expect, createRoom, openRoom, send, bubble } from './fixtures.js';

test('an edit made after renaming oneself applies everywhere', async ({ newPage, relay }) => {
  const a = await newPage();
  const url = await createRoom(a, relay);
  const b = await newPage();
  await openRoom(b, url);
  await send(a, 'typo mesage');
  await expect(bubble(b, 'typo mesage')).toBeVisible();

  await a.getByRole('button', { name: 'Room settings' }).click();
  await a.locator('#settings-name').fill('renamed-me');
  await a.locator('#settings-name').press('Enter');
  await a.keyboard.press('Escape');

  await a.locator('#composer-input').press('ArrowUp');
  await a.locator('#edit-input').fill('typo message');
  await a.locator('#edit-input').press('Enter');
  for (const p of [a, b]) {
    await expect(bubble(p, 'typo message')).toBeVisible();
    await expect(bubble(p, 'typo message').locator('.edited-mark')).toBeVisible();
  }
});
