/**
 * DMs between two signed-in browsers, first contact from the agent directory, and directory
 * search over a profile published with the project's SDK.
 */
import { test, expect } from './fixtures.js';
import { contextWith, registered, trackErrors, uniq } from './identity.helpers.js';
import { Agent } from '../agent/sdk/index.js';
import type { Page } from '@playwright/test';

/** The raw `sent_dms` records in the page's IndexedDB, as JSON: what is at rest, unopened. */
function storedSentDms(page: Page): Promise<string> {
  return page.evaluate(
    () =>
      new Promise<string>((resolve, reject) => {
        const req = indexedDB.open('bot2bot-web');
        req.onerror = () => reject(new Error('could not open the IndexedDB database'));
        req.onsuccess = () => {
          const db = req.result;
          const all = db.transaction('sent_dms').objectStore('sent_dms').getAll();
          all.onsuccess = () => {
            db.close();
            resolve(JSON.stringify(all.result));
          };
        };
      }),
  );
}

test('DM between two signed-in browsers: first contact from the directory, verified sender, reply, delete', async ({
  browser,
  relay,
  pageErrors,
}) => {
  const tag = uniq();
  const alice = await registered(relay.url, `alice-${tag}`);
  const bob = await registered(relay.url, `bob-${tag}`);
  // Bob is listed in the directory.
  await new Agent(relay.url, bob).publishProfile({
    display_name: `Bob ${tag}`,
    summary: `Answers questions about zebras-${tag}.`,
    framework: 'custom',
    capabilities: ['chat'],
  });
  const aCtx = await contextWith(browser, alice);
  const bCtx = await contextWith(browser, bob);
  try {
    const a = trackErrors(await aCtx.newPage(), pageErrors);
    const b = trackErrors(await bCtx.newPage(), pageErrors);
    await b.goto(relay.url + '/dm');
    await expect(b.getByRole('heading', { name: `Inbox · @${bob.handle}` })).toBeVisible();
    await expect(b.getByRole('status').filter({ hasText: 'live' })).toBeVisible();

    await a.goto(relay.url + '/agents');
    await a.getByRole('searchbox', { name: 'Search agents' }).fill(`zebras-${tag}`);
    await a.getByRole('button', { name: 'Search' }).click();
    await a.getByRole('link', { name: new RegExp(`Bob ${tag}`) }).click();
    await expect(a.getByRole('heading', { name: `Bob ${tag}` })).toBeVisible();
    await a.getByRole('button', { name: 'Send a DM' }).click();
    await expect(a).toHaveURL(new RegExp(`/dm/${bob.handle}$`));
    await expect(a.getByLabel('To', { exact: true })).toHaveValue(bob.handle);
    await a.getByRole('textbox', { name: 'Message' }).fill('Hi Bob,\nthis is sealed to your key.');
    await a.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(a.locator('.dm-item.is-sent')).toContainText('this is sealed to your key.');

    const inbox = b.getByRole('list', { name: 'Received messages' });
    const msg = inbox.locator('.dm-item').filter({ hasText: 'this is sealed to your key.' });
    await expect(msg).toBeVisible({ timeout: 15_000 });
    await expect(msg).toContainText(`@${alice.handle}`);
    await expect(msg.locator('.verified')).toBeVisible();

    // Bob replies from the inbox.
    await msg.getByRole('button', { name: 'Reply' }).click();
    await expect(b.getByLabel('To', { exact: true })).toHaveValue(alice.handle);
    await b.getByRole('textbox', { name: 'Message' }).fill('Hello Alice, got it.');
    await b.getByRole('button', { name: 'Send', exact: true }).click();
    await a.goto(relay.url + '/dm');
    const aMsg = a.locator('.dm-item').filter({ hasText: 'Hello Alice, got it.' });
    await expect(aMsg).toBeVisible({ timeout: 15_000 });
    await expect(aMsg.locator('.verified')).toBeVisible();

    // Bob deletes Alice's message: gone now and after a reload.
    await msg.getByRole('button', { name: `Delete message from @${alice.handle}` }).click();
    await expect(msg).toHaveCount(0);
    await b.reload();
    await expect(b.getByRole('status').filter({ hasText: 'live' })).toBeVisible();
    await expect(b.locator('.dm-item').filter({ hasText: 'this is sealed to your key.' })).toHaveCount(0);

    // Unknown recipients are explained.
    await b.getByLabel('To', { exact: true }).fill(`nobody-${tag}`);
    await b.getByRole('textbox', { name: 'Message' }).fill('anyone?');
    await b.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(b.locator('#dm-send-err')).toHaveText(
      `No one is registered as @nobody-${tag} on this relay.`,
    );
  } finally {
    await aCtx.close();
    await bCtx.close();
  }
});

test('the DM page asks anonymous visitors to sign in', async ({ relay, newPage }) => {
  const p = await newPage();
  await p.goto(relay.url + '/dm');
  await expect(p.getByRole('heading', { name: 'Sign in to read and send messages' })).toBeVisible();
  await p.getByRole('main').getByRole('button', { name: 'Sign in' }).click();
  await expect(p.getByRole('dialog', { name: 'Sign in with a @handle' })).toBeVisible();
});

test('directory search finds a profile published with the SDK, by text and by filter', async ({
  relay,
  newPage,
}) => {
  const tag = uniq();
  const id = await registered(relay.url, `scout-${tag}`);
  await new Agent(relay.url, id).publishProfile({
    display_name: `Scout ${tag}`,
    summary: 'Finds trails and maps them.',
    framework: 'langgraph',
    framework_version: '0.2',
    capabilities: ['mapping', `cap-${tag}`],
    topics: ['hiking'],
    languages: ['en', 'de'],
    homepage_url: 'https://example.com/scout',
  });
  const p = await newPage();
  await p.goto(relay.url + '/agents');
  await expect(p.getByRole('heading', { name: 'Agent directory' })).toBeVisible();
  await expect(p.getByRole('link', { name: new RegExp(`Scout ${tag}`) })).toBeVisible();

  // Filter by capability only.
  await p.getByText('Filters').click();
  await p.getByLabel('Capability').fill(`cap-${tag}`);
  await p.getByRole('button', { name: 'Search' }).click();
  await expect(p.locator('.agent-card')).toHaveCount(1);
  await expect(p.locator('.agent-card')).toContainText('Finds trails and maps them.');
  await expect(p.locator('.agent-card')).toContainText('langgraph');

  // No match.
  await p.getByLabel('Capability').fill(`nothing-${tag}`);
  await p.getByRole('button', { name: 'Search' }).click();
  await expect(p.getByText('No agents match.')).toBeVisible();

  // The profile page.
  await p.goto(`${relay.url}/agents/${id.handle}`);
  await expect(p.getByRole('heading', { name: `Scout ${tag}` })).toBeVisible();
  await expect(p.locator('.profile-facts')).toContainText('hiking');
  await expect(p.getByRole('link', { name: 'https://example.com/scout' })).toHaveAttribute('rel', /noopener/);
  await p.goto(`${relay.url}/agents/nobody-${tag}`);
  await expect(p.getByRole('heading', { name: `No profile for @nobody-${tag}` })).toBeVisible();
});

test('sent DMs survive a reload, show in every tab, are sealed at rest, and go with the keys', async ({
  browser,
  relay,
  pageErrors,
}) => {
  const tag = uniq();
  const alice = await registered(relay.url, `alice-${tag}`);
  const bob = await registered(relay.url, `bob-${tag}`);
  const ctx = await contextWith(browser, alice);
  try {
    const one = trackErrors(await ctx.newPage(), pageErrors);
    const two = trackErrors(await ctx.newPage(), pageErrors);
    await one.goto(`${relay.url}/dm/${bob.handle}`);
    await two.goto(`${relay.url}/dm`);
    await expect(two.getByRole('status').filter({ hasText: 'live' })).toBeVisible();
    const secret = `first words ${tag}`;
    await one.getByRole('textbox', { name: 'Message' }).fill(secret);
    await one.getByRole('button', { name: 'Send', exact: true }).click();
    const sentOne = one.getByRole('list', { name: 'Sent messages' });
    const sentTwo = two.getByRole('list', { name: 'Sent messages' });
    await expect(sentOne.locator('.dm-item')).toHaveText([new RegExp(`to @${bob.handle}.*${secret}`)]);
    await expect(one.getByRole('heading', { name: 'Sent', exact: true })).toBeVisible();
    // The other tab hears of it without a reload.
    await expect(sentTwo.locator('.dm-item')).toContainText([secret]);

    await two.getByLabel('To', { exact: true }).fill(bob.handle);
    await two.getByRole('textbox', { name: 'Message' }).fill(`second words ${tag}`);
    await two.getByRole('button', { name: 'Send', exact: true }).click();
    await one.reload();
    await expect(sentOne.locator('.dm-text')).toHaveText([`second words ${tag}`, secret]);

    // At rest the copies are ciphertext: no plaintext and no recipient in IndexedDB.
    const stored = await storedSentDms(one);
    expect(JSON.parse(stored)).toHaveLength(2);
    expect(stored).not.toContain('words');
    expect(stored).not.toContain(bob.handle);

    // "Forget" removes the copy everywhere; the message itself was delivered and stays.
    await sentOne
      .locator('.dm-item')
      .filter({ hasText: 'second words' })
      .getByRole('button', { name: `Forget message to @${bob.handle}` })
      .click();
    await expect(sentOne.locator('.dm-text')).toHaveText([secret]);
    await expect(sentTwo.locator('.dm-text')).toHaveText([secret]);
    expect(
      (await new Agent(relay.url, bob).inboxWait({ after: 0, timeout: 1 })).messages
        .map((m) => m.text)
        .sort(),
    ).toEqual([secret, `second words ${tag}`].sort());

    // Signing out takes the copies with the keys: they could never be opened again.
    await one.getByRole('button', { name: `Your identity: @${alice.handle}` }).click();
    const dlg = one.getByRole('dialog', { name: 'Your identity' });
    await dlg.getByRole('button', { name: 'Sign out…' }).click();
    await dlg.getByRole('button', { name: 'Sign out', exact: true }).click();
    await expect(one.getByRole('heading', { name: 'Sign in to read and send messages' })).toBeVisible();
    await expect.poll(async () => JSON.parse(await storedSentDms(one)).length).toBe(0);
  } finally {
    await ctx.close();
  }
});
