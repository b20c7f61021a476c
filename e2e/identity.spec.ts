/**
 * Sign-in in the browser: create and register a @handle, signed posts, export → sign out →
 * import round trip, a corrupted import refused without harm, passphrase protection at rest,
 * and handle errors shown in words.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { test, expect, createRoom, openRoom, send, bubble, waitOnline } from './fixtures.js';
import { contextWith, expectVerified, registered, signInUi, trackErrors, uniq } from './identity.helpers.js';
import { identityToRecord } from '../protocol/identity.js';

test('create a handle, post signed, export, sign out, import the file: same handle, posts still verify', async ({
  relay,
  newPage,
}, info) => {
  const handle = `alice-${uniq()}`;
  const a = await newPage();
  await a.goto(relay.url + '/');
  await signInUi(a, handle);
  const url = await createRoom(a, relay);
  // The name chip is the handle and read-only while signed in.
  await expect(a.locator('.composer .name-chip.is-signed')).toHaveText(`@${handle}`);
  await send(a, 'first signed words');
  await expect(bubble(a, 'first signed words').locator('.sender')).toHaveText(`@${handle}`);
  await expect(bubble(a, 'first signed words').locator('.verified')).toBeVisible();

  // Export: a downloaded file in the reference format.
  await a.getByRole('button', { name: `Your identity: @${handle}` }).click();
  const dlg = a.getByRole('dialog', { name: 'Your identity' });
  const [download] = await Promise.all([
    a.waitForEvent('download'),
    dlg.getByRole('button', { name: 'Download backup (.json)' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(`bot2bot-identity-${handle}.json`);
  const file = info.outputPath('backup.json');
  await download.saveAs(file);
  const exported = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  expect(exported).toMatchObject({ bot2bot_identity_v1: true, handle });
  expect(String(exported.sign_seed_b64u)).toMatch(/^[A-Za-z0-9_-]{43}$/);

  // Sign out: explicit, with the backup reminder; the keys leave the device.
  await dlg.getByRole('button', { name: 'Sign out…' }).click();
  await expect(dlg.getByText('Without a backup the handle is lost for good')).toBeVisible();
  await dlg.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(a.getByRole('button', { name: 'Sign in with a @handle' })).toBeVisible();
  expect(
    await a.evaluate(() => [
      localStorage.getItem('bot2bot-identity'),
      localStorage.getItem('bot2bot:identity-sealed'),
    ]),
  ).toEqual([null, null]);
  await expect(a.locator('.composer input.name-chip')).toHaveValue(/^visitor-/);

  // Import the file back.
  await a.getByRole('button', { name: 'Sign in with a @handle' }).click();
  const signin = a.getByRole('dialog', { name: 'Sign in with a @handle' });
  await signin.getByRole('tab', { name: 'Import backup' }).click();
  await signin.locator('#import-file').setInputFiles(file);
  await expect(signin.getByText('Loaded backup.json')).toBeVisible();
  await signin.getByLabel('Remember on this device without a passphrase').check();
  await signin.getByRole('button', { name: 'Import identity' }).click();
  await a
    .getByRole('dialog', { name: `Signed in as @${handle}` })
    .getByRole('button', { name: 'Done' })
    .click();
  await send(a, 'signed again after import');
  await expectVerified(bubble(a, 'signed again after import'), handle);

  // A fresh tab starts as @handle at once (reference flaw §6.4).
  const b = await newPage();
  await b.goto(url);
  await waitOnline(b);
  await expectVerified(bubble(b, 'signed again after import'), handle);
});

test('a corrupted identity file is refused with a visible error and the current identity is untouched', async ({
  browser,
  relay,
  pageErrors,
}, info) => {
  const alice = await registered(relay.url, `alice-${uniq()}`);
  const ctx = await contextWith(browser, alice);
  try {
    const a = trackErrors(await ctx.newPage(), pageErrors);
    await a.goto(relay.url + '/');
    const before = await a.evaluate(() => localStorage.getItem('bot2bot-identity'));
    expect(before).toBe(JSON.stringify(identityToRecord(alice)));
    await a.getByRole('button', { name: `Your identity: @${alice.handle}` }).click();
    const dlg = a.getByRole('dialog', { name: 'Your identity' });
    await dlg.getByText('Use a different identity (import)').click();

    const good = JSON.parse(
      JSON.stringify({ bot2bot_identity_v1: true, ...identityToRecord(alice) }),
    ) as Record<string, string>;
    const cases: Array<[string, string, RegExp]> = [
      [
        'truncated.json',
        JSON.stringify({ ...good, handle: 'mallory', sign_seed_b64u: good.sign_seed_b64u!.slice(0, 30) }),
        /sign_seed_b64u must be 32 bytes/,
      ],
      ['garbage.json', '{"bot2bot_identity_v1": true, "handle": "mallory", ', /not JSON/],
      [
        'nomarker.json',
        JSON.stringify({
          handle: 'mallory',
          box_sk_b64u: good.box_sk_b64u,
          sign_seed_b64u: good.sign_seed_b64u,
        }),
        /missing "bot2bot_identity_v1"/,
      ],
    ];
    for (const [name, text, why] of cases) {
      const f = info.outputPath(name);
      writeFileSync(f, text);
      await dlg.locator('#import-file').setInputFiles(f);
      await expect(dlg.getByText(`Loaded ${name}`)).toBeVisible();
      await dlg.getByLabel('Remember on this device without a passphrase').check();
      await dlg.getByRole('button', { name: 'Import identity' }).click();
      await expect(dlg.locator('#import-err')).toHaveText(why);
      expect(await a.evaluate(() => localStorage.getItem('bot2bot-identity'))).toBe(before);
      expect(await a.evaluate(() => localStorage.getItem('bot2bot:identity-sealed'))).toBeNull();
    }
    await dlg.getByRole('button', { name: 'Close' }).click();
    // Still signed in, and a reload still loads the same identity.
    await a.reload();
    await expect(a.getByRole('button', { name: `Your identity: @${alice.handle}` })).toBeVisible();
  } finally {
    await ctx.close();
  }
});

test('passphrase protection: nothing readable at rest, unlock prompt at load, wrong passphrase refused', async ({
  relay,
  newPage,
}) => {
  const handle = `sealed-${uniq()}`;
  const a = await newPage();
  await a.goto(relay.url + '/');
  await a.getByRole('button', { name: 'Sign in with a @handle' }).click();
  const dlg = a.getByRole('dialog', { name: 'Sign in with a @handle' });
  await dlg.getByLabel('Choose a handle').fill(handle);
  await expect(dlg.getByLabel('Protect with a passphrase')).toBeChecked();
  await dlg.getByLabel('Passphrase', { exact: true }).fill('tangerine sky 42');
  await dlg.getByLabel('Repeat passphrase').fill('tangerine sky 41');
  await dlg.getByRole('button', { name: 'Create and register' }).click();
  await expect(dlg.getByText('The two passphrases do not match.')).toBeVisible();
  await dlg.getByLabel('Repeat passphrase').fill('tangerine sky 42');
  await dlg.getByRole('button', { name: 'Create and register' }).click();
  await a
    .getByRole('dialog', { name: `Signed in as @${handle}` })
    .getByRole('button', { name: 'Done' })
    .click();
  const stored = await a.evaluate(() => ({
    plain: localStorage.getItem('bot2bot-identity'),
    sealed: localStorage.getItem('bot2bot:identity-sealed'),
  }));
  expect(stored.plain).toBeNull();
  expect(stored.sealed).toContain(handle);
  expect(stored.sealed).not.toMatch(/sign_seed|box_sk/);

  await a.reload();
  const unlock = a.getByRole('dialog', { name: 'Unlock your identity' });
  await expect(unlock).toBeVisible();
  await unlock.getByLabel('Passphrase').fill('not the passphrase');
  await unlock.getByRole('button', { name: 'Unlock' }).click();
  await expect(unlock.getByText('Wrong passphrase. Try again.')).toBeVisible();
  await unlock.getByLabel('Passphrase').fill('tangerine sky 42');
  await unlock.getByRole('button', { name: 'Unlock' }).click();
  await expect(unlock).toBeHidden();
  await expect(a.getByRole('button', { name: `Your identity: @${handle}` })).toBeVisible();
});

test('handle errors are explained: taken, reserved, invalid', async ({ relay, newPage }) => {
  const taken = await registered(relay.url, `taken-${uniq()}`);
  const a = await newPage();
  await openRoom(a, await createRoom(a, relay));
  await a.getByRole('button', { name: 'Sign in with a @handle' }).click();
  const dlg = a.getByRole('dialog', { name: 'Sign in with a @handle' });
  await dlg.getByLabel('Remember on this device without a passphrase').check();
  const tryHandle = async (h: string, msg: RegExp) => {
    await dlg.getByLabel('Choose a handle').fill(h);
    await dlg.getByRole('button', { name: 'Create and register' }).click();
    await expect(dlg.locator('#create-handle-err')).toHaveText(msg);
  };
  await tryHandle(taken.handle, /already taken/);
  await tryHandle('admin', /reserved/);
  await tryHandle('a', /2–32 characters/);
  await tryHandle('Bad Name!', /only a–z, 0–9, _ and -/);
  await tryHandle('-dash', /Start with a letter or a digit/);
  expect(await a.evaluate(() => localStorage.getItem('bot2bot-identity'))).toBeNull();
});
