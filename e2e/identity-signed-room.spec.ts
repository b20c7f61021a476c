/**
 * Signed-only rooms: created from the landing page (signed=1, the first message locks), locked
 * from settings, and what an anonymous visitor sees: a readable explanation, a disabled composer
 * and the way to sign in. The relay refuses unsigned posts whatever the UI does.
 */
import { test, expect, openRoom, send, bubble, waitOnline, createRoom } from './fixtures.js';
import { contextWith, expectVerified, registered, trackErrors, uniq } from './identity.helpers.js';
import { sealText } from '../protocol/crypto.js';
import { parseRoomLink } from '../protocol/roomUrl.js';

test('"New signed-only room": the first message locks it; an anonymous visitor cannot post and is told why', async ({
  browser,
  relay,
  newPage,
  pageErrors,
}) => {
  const alice = await registered(relay.url, `alice-${uniq()}`);
  const ctx = await contextWith(browser, alice);
  try {
    const a = trackErrors(await ctx.newPage(), pageErrors);
    await a.goto(relay.url + '/');
    await a.getByRole('button', { name: 'New signed-only room' }).click();
    await a.waitForURL(/#k=[A-Za-z0-9_-]{43}&signed=1$/);
    await waitOnline(a);
    const signedUrl = a.url();
    const roomId = new URL(signedUrl).pathname.split('/')[2]!;
    await expect(a.getByTestId('lock-tag')).toHaveCount(0);
    await send(a, 'this message locks the room');
    await expect(a.getByTestId('lock-tag')).toBeVisible();
    const status = (await (await fetch(`${relay.url}/api/rooms/${roomId}/status`)).json()) as {
      signed_only?: boolean;
    };
    expect(status.signed_only).toBe(true);

    // An anonymous visitor with the plain link (no signed=1).
    const plainUrl = signedUrl.replace('&signed=1', '');
    const v = await newPage({ viewport: { width: 390, height: 844 } });
    await openRoom(v, plainUrl);
    await expect(bubble(v, 'this message locks the room')).toBeVisible();
    await expectVerified(bubble(v, 'this message locks the room'), alice.handle);
    const gate = v.getByRole('region', { name: 'Signed senders only' });
    await expect(gate).toContainText('This room only accepts signed @handle senders');
    await expect(gate).toContainText('You can read along; to post, sign in with a @handle.');
    await expect(v.locator('#composer-input')).toBeDisabled();
    await expect(v.getByRole('button', { name: 'Send message' })).toBeDisabled();
    await expect(v.getByTestId('lock-tag')).toBeVisible();
    await gate.getByRole('button', { name: 'Sign in to post' }).click();
    const dlg = v.getByRole('dialog', { name: 'Sign in with a @handle' });
    await expect(dlg).toContainText('This room only accepts signed @handle senders.');
    await dlg.getByRole('button', { name: 'Close' }).click();

    // The relay is the authority: an unsigned post is refused with 403.
    const link = parseRoomLink(plainUrl);
    if (!link.ok) throw new Error('bad link');
    const res = await fetch(`${relay.url}/api/rooms/${roomId}/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sender: 'sneaky', ...sealText('let me in', link.link.key) }),
    });
    expect(res.status).toBe(403);
  } finally {
    await ctx.close();
  }
});

test('a signed=1 link without an identity asks the visitor to sign in before posting', async ({
  relay,
  newPage,
}) => {
  const v = await newPage();
  await createRoom(v, relay);
  await openRoom(v, v.url() + '&signed=1');
  const gate = v.getByRole('region', { name: 'Signed senders only' });
  await expect(gate).toContainText('This link is for a signed-only room');
  await expect(v.locator('#composer-input')).toBeDisabled();
  await expect(gate.getByRole('button', { name: 'Sign in to post' })).toBeVisible();
});

test('"Lock this room" in settings arms the lock; the next message locks it for everyone', async ({
  browser,
  relay,
  newPage,
  pageErrors,
}) => {
  const alice = await registered(relay.url, `alice-${uniq()}`);
  const ctx = await contextWith(browser, alice);
  try {
    const a = trackErrors(await ctx.newPage(), pageErrors);
    const url = await createRoom(a, relay);
    const v = await newPage();
    await openRoom(v, url);
    await send(v, 'anonymous before the lock');

    await a.getByRole('button', { name: 'Room settings' }).click();
    const settings = a.getByRole('dialog', { name: 'Room settings' });
    await settings.getByRole('button', { name: 'Lock this room…' }).click();
    await settings.getByRole('button', { name: 'Arm the lock' }).click();
    await expect(settings.getByText('Armed: your next message locks the room.')).toBeVisible();
    await settings.getByRole('button', { name: 'Close' }).click();
    // Arming alone changes nothing on the relay.
    await expect(v.getByTestId('lock-tag')).toHaveCount(0);

    await send(a, 'locking message');
    await expect(a.getByTestId('lock-tag')).toBeVisible();
    await expect(v.getByTestId('lock-tag')).toBeVisible();
    await expect(v.getByRole('region', { name: 'Signed senders only' })).toBeVisible();
    await expect(v.locator('#composer-input')).toBeDisabled();
    await a.getByRole('button', { name: 'Room settings' }).click();
    await expect(settings.getByText('Locked: only signed @handle senders can post here.')).toBeVisible();
  } finally {
    await ctx.close();
  }
});

test('an anonymous user cannot arm a lock; settings explain and offer sign-in', async ({
  relay,
  newPage,
}) => {
  const v = await newPage();
  await createRoom(v, relay);
  await v.getByRole('button', { name: 'Room settings' }).click();
  const settings = v.getByRole('dialog', { name: 'Room settings' });
  await expect(settings.getByText('Only a signed sender can lock a room')).toBeVisible();
  await expect(settings.getByRole('button', { name: 'Sign in to lock' })).toBeVisible();
});
