import { agentSnippets } from '../protocol/snippets.js';
import { test, expect, createRoom, bubble, send } from './fixtures.js';

test('landing: new room, join by pasted link, clear errors for bad links', async ({ relay, newPage }) => {
  const page = await newPage();
  const url = await createRoom(page, relay);
  await send(page, 'join me');

  const other = await newPage();
  await other.goto(relay.url + '/');
  const input = other.getByLabel('Join with a link');
  await input.fill('not a link');
  await other.getByRole('button', { name: 'Join' }).click();
  await expect(other.getByRole('alert')).toHaveText('That is not a URL.');
  await input.fill(url.split('#')[0]!);
  await other.getByRole('button', { name: 'Join' }).click();
  await expect(other.getByRole('alert')).toContainText('missing its key');
  await input.fill(url);
  await other.getByRole('button', { name: 'Join' }).click();
  await expect(bubble(other, 'join me')).toBeVisible();

  await other.goto(relay.url + '/room/ABCDEFGHJK');
  await expect(other.getByRole('heading', { name: 'No room key.' })).toBeVisible();
  await other.goto(relay.url + '/room/ABCDEFGHJK#k=tooShort');
  await expect(other.getByRole('heading', { name: 'Invalid room key fragment.' })).toBeVisible();
  await other.goto(relay.url + '/room/a!#k=' + 'A'.repeat(43));
  await expect(other.getByRole('heading', { name: 'Invalid room link.' })).toBeVisible();
  await other.goto(relay.url + '/nowhere');
  await expect(other.getByRole('heading', { name: 'Page not found' })).toBeVisible();
});

test('docs pages render inside the app', async ({ relay, newPage }) => {
  const page = await newPage();
  await page.goto(relay.url + '/docs');
  await expect(page.getByRole('heading', { level: 1, name: 'API & agent quick start' })).toBeVisible();
  await page
    .getByRole('navigation', { name: 'Documentation' })
    .getByRole('link', { name: 'Connect an agent' })
    .click();
  await expect(page.getByRole('heading', { level: 2, name: /Command line/ })).toBeVisible();
  // The commands come from protocol/snippets.ts, named for the relay that serves the page.
  const docsMcp = agentSnippets(relay.url).find((x) => x.id === 'mcp-claude')!;
  await expect(page.locator('[data-snippet="mcp-claude"] pre')).toHaveText(docsMcp.text);
  await expect(page.getByText(`curl -fsSO ${relay.url}/sdk/bot2bot.py`).first()).toBeVisible();
  await page
    .getByRole('navigation', { name: 'Documentation' })
    .getByRole('link', { name: 'Agents in rooms' })
    .click();
  await expect(page.getByRole('heading', { level: 1, name: 'Agents in rooms' })).toBeVisible();
  await expect(
    page.getByRole('heading', { level: 2, name: 'Why an agent goes silent after its first message' }),
  ).toBeVisible();
  await expect(page.locator('[data-snippet="trigger"] pre')).toContainText(`'"is_self": ?false'`);
  await expect(page.getByRole('link', { name: '/llms.txt' }).first()).toHaveAttribute('href', '/llms.txt');
  await expect(page.getByRole('link', { name: '/api/docs' }).first()).toHaveAttribute('href', '/api/docs');
  await page.goto(relay.url + '/privacy');
  await expect(page.getByRole('heading', { level: 1, name: 'Privacy & threat model' })).toBeVisible();
});

test('the Invite menu shows each agent snippet, named for this relay and room, before it is copied', async ({
  relay,
  newPage,
}) => {
  const page = await newPage();
  const url = await createRoom(page, relay);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: relay.url });
  await page.getByRole('button', { name: 'Invite people or agents' }).click();
  const expected = agentSnippets(relay.url, url);
  const byId = (id: string) => expected.find((x) => x.id === id)!;
  const listen = page.locator('[data-snippet="cli-listen"] pre');
  await expect(listen).toBeVisible();
  await expect(listen).toHaveText(byId('cli-listen').text);
  await expect(listen).toContainText(`${relay.url}/sdk/bot2bot.tgz`);
  await expect(page.locator('[data-snippet="cli-send"] pre')).toHaveText(byId('cli-send').text);
  await page.getByRole('button', { name: 'Copy: Listen from a shell' }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(byId('cli-listen').text);

  await page.getByRole('tab', { name: 'MCP' }).click();
  await expect(page.locator('[data-snippet="mcp-claude"] pre')).toHaveText(byId('mcp-claude').text);
  await expect(page.locator('[data-snippet="mcp-claude"] pre')).toContainText(`BOT2BOT_BASE=${relay.url}`);
  await expect(page.locator('[data-snippet="mcp-claude"]')).toContainText(url);
  await page.getByRole('tab', { name: 'MCP' }).press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Python' })).toBeFocused();
  await expect(page.locator('[data-snippet="python"] pre')).toHaveText(byId('python').text);
});

test('the landing page shows the agent commands for this relay', async ({ relay, newPage }) => {
  const page = await newPage();
  await page.goto(relay.url + '/');
  const expected = agentSnippets(relay.url);
  await expect(page.locator('[data-snippet="cli-listen"] pre')).toHaveText(
    expected.find((x) => x.id === 'cli-listen')!.text,
  );
  await expect(page.locator('[data-snippet="mcp-claude"] pre')).toHaveText(
    expected.find((x) => x.id === 'mcp-claude')!.text,
  );
});
