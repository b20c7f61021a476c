import nacl from 'tweetnacl';
import { test, expect, createRoom, openRoom, send, bubble } from './fixtures.js';
import { parseRoomLink } from '../protocol/roomUrl.js';
import { openText, sealText } from '../protocol/crypto.js';

test('two browsers chat, with names, self/other and no verified badge for unsigned senders', async ({
  relay,
  newPage,
}) => {
  const alice = await newPage();
  const url = await createRoom(alice, relay);
  const bob = await newPage();
  await openRoom(bob, url);
  await expect(alice.locator('.topbar-meta')).toHaveText('2 participants');

  await send(alice, 'hello from **alice**');
  await expect(bubble(bob, 'hello from alice')).toBeVisible();
  await expect(bubble(bob, 'hello from alice').locator('strong')).toHaveText('alice');
  await expect(bubble(alice, 'hello from alice')).toHaveClass(/bubble-self/);
  await expect(bubble(bob, 'hello from alice')).toHaveClass(/bubble-other/);
  await expect(bubble(bob, 'hello from alice').locator('.verified')).toHaveCount(0);

  await send(bob, 'hi alice\nsecond line');
  await expect(bubble(alice, 'hi alice')).toBeVisible();
  await expect(bubble(alice, 'hi alice').locator('br')).toHaveCount(1);
  // Same key, same fingerprint on both sides.
  await expect(alice.getByTestId('fingerprint')).toHaveText(await bob.getByTestId('fingerprint').innerText());
});

test('a late joiner and a reload see history; delete converges and survives reload', async ({
  relay,
  newPage,
}) => {
  const alice = await newPage();
  const url = await createRoom(alice, relay);
  await send(alice, 'first message');
  await send(alice, 'doomed message');
  await send(alice, 'third message');

  const late = await newPage();
  await openRoom(late, url);
  await expect(bubble(late, 'first message')).toBeVisible();
  await expect(late.locator('article.bubble')).toHaveCount(3);

  // Delete from the late joiner, through the real dialog.
  const doomed = bubble(late, 'doomed message');
  await doomed.hover();
  await doomed.getByRole('button', { name: 'Delete for everyone' }).click();
  const dialog = late.getByRole('dialog', { name: 'Delete for everyone?' });
  await expect(dialog).toContainText('anyone holding the room link can delete any message');
  await dialog.getByRole('button', { name: 'Delete for everyone' }).click();
  await expect(bubble(late, 'doomed message')).toHaveCount(0);
  await expect(bubble(alice, 'doomed message')).toHaveCount(0);

  await alice.reload();
  await expect(bubble(alice, 'first message')).toBeVisible();
  await expect(bubble(alice, 'third message')).toBeVisible();
  await expect(bubble(alice, 'doomed message')).toHaveCount(0);
  await late.reload();
  await expect(bubble(late, 'third message')).toBeVisible();
  await expect(bubble(late, 'doomed message')).toHaveCount(0);
});

test('a reload renders from the local cache even when the relay is unreachable', async ({
  relay,
  newPage,
}) => {
  const alice = await newPage();
  const url = await createRoom(alice, relay);
  await send(alice, 'cached before going offline');
  await alice.waitForTimeout(700); // let the cursor and frames settle into IndexedDB
  await alice.routeWebSocket(/\/ws/, (ws) => ws.close());
  await alice.reload();
  expect(alice.url()).toBe(url);
  await expect(bubble(alice, 'cached before going offline')).toBeVisible();
  await expect(alice.locator('.status-pill')).toHaveClass(/status-reconnecting/);
});

test('a browser and an HTTP-only agent talk in one room', async ({ relay, newPage }) => {
  const page = await newPage();
  const url = await createRoom(page, relay);
  const parsed = parseRoomLink(url);
  if (!parsed.ok) throw new Error(parsed.message);
  const { roomId, key } = parsed.link;

  const sealed = sealText('beep from a curl-style agent', key);
  const res = await fetch(`${relay.url}/api/rooms/${roomId}/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ sender: 'http-agent', ...sealed }),
  });
  expect(res.status).toBe(200);
  await expect(bubble(page, 'beep from a curl-style agent')).toBeVisible();
  await expect(bubble(page, 'beep from a curl-style agent').locator('.sender')).toHaveText('http-agent');

  await send(page, 'hello @http-agent, welcome');
  const t = (await (await fetch(`${relay.url}/api/rooms/${roomId}/transcript?after=0`)).json()) as {
    messages: Array<{ ciphertext: string; nonce: string; sender: string }>;
  };
  const texts = t.messages.map((m) => openText(m, key));
  expect(texts).toContain('hello @http-agent, welcome');
  expect(nacl.secretbox.keyLength).toBe(32);
});

test('the page never sends the key or plaintext anywhere', async ({ relay, newPage }) => {
  const page = await newPage();
  const sent: string[] = [];
  page.on('request', (r) => sent.push(`${r.method()} ${r.url()}\n${r.postData() ?? ''}`));
  page.on('websocket', (ws) => {
    sent.push(`WS ${ws.url()}`);
    ws.on('framesent', (f) =>
      sent.push(`FRAME ${typeof f.payload === 'string' ? f.payload : f.payload.toString('utf8')}`),
    );
  });
  const url = await createRoom(page, relay);
  const keyText = new URL(url).hash.slice(3);
  const secret = 'plaintext-canary-7f3a9';
  await send(page, secret);
  await bubble(page, secret).hover();
  await bubble(page, secret).getByRole('button', { name: 'Add reaction' }).click();
  await page.getByRole('button', { name: 'React with 👍' }).click();
  await expect(bubble(page, secret).locator('.pill')).toHaveCount(1);
  await page.waitForTimeout(500);
  const all = sent.join('\n');
  expect(sent.some((s) => s.startsWith('POST') && s.includes('/messages'))).toBe(true);
  expect(sent.some((s) => s.startsWith('FRAME') && s.includes('"hello"'))).toBe(true);
  expect(all).not.toContain(keyText);
  expect(all).not.toContain(secret);
  expect(all).not.toContain('bot2bot_react_v1');
});
