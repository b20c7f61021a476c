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
  await page.getByRole('navigation', { name: 'Documentation' }).getByRole('link', { name: 'Connect an agent' }).click();
  await expect(page.getByRole('heading', { level: 2, name: /Command line/ })).toBeVisible();
  await expect(page.getByText('claude mcp add bot2bot -- npx -y bot2bot-mcp').first()).toBeVisible();
  await expect(page.getByText(/sdk\/bot2bot\.py/).first()).toBeVisible();
  await page.goto(relay.url + '/privacy');
  await expect(page.getByRole('heading', { level: 1, name: 'Privacy & threat model' })).toBeVisible();
});
