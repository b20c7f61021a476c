import { test, expect, createRoom, bubble } from './fixtures.js';
import { parseRoomLink } from '../protocol/roomUrl.js';
import { sealText } from '../protocol/crypto.js';
import { reactEnvelope } from '../protocol/envelopes.js';

const CORPUS = [
  '<script>window.__pwned=1</script>',
  '<img src=x onerror="window.__pwned=1">',
  '<svg onload="window.__pwned=1"></svg>',
  '[click](javascript:window.__pwned=1)',
  '[click](JAVASCRIPT:window.__pwned=1)',
  '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '[proto](//evil.example/x)',
  '<a href="javascript:window.__pwned=1">a</a>',
  '**<b onmouseover=window.__pwned=1>bold</b>**',
  '`<img src=x onerror=window.__pwned=1>`',
  '```\n<script>window.__pwned=1</script>\n```',
  '"><iframe src="javascript:window.__pwned=1">',
  '{"bot2bot_react_v1":"true","target_id":"<img src=x>"}',
];

test('an XSS corpus renders as inert text', async ({ relay, newPage }) => {
  const page = await newPage();
  let dialogs = 0;
  page.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  const url = await createRoom(page, relay);
  const parsed = parseRoomLink(url);
  if (!parsed.ok) throw new Error(parsed.message);
  const { roomId, key } = parsed.link;
  const post = async (text: string, sender = 'xss-bot') => {
    const res = await fetch(`${relay.url}/api/rooms/${roomId}/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ sender, ...sealText(text, key) }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { id: string }).id;
  };
  let lastId = '';
  for (const t of CORPUS) lastId = await post(t);
  await post('hello', '<img src=x onerror=window.__pwned=1>');
  // Within the 24-character emoji rule, so it is shown (inert), not dropped on receipt.
  await post(reactEnvelope(lastId, '<img src=x onerror=f()>', 'add'), 'reactor<script>');

  await expect(page.locator('article.bubble')).toHaveCount(CORPUS.length + 1);
  await expect(bubble(page, '<script>window.__pwned=1</script>').first()).toBeVisible();
  await expect(page.locator('.pill')).toHaveCount(1);
  const report = await page.evaluate(() => {
    const list = document.querySelector('.messages')!;
    return {
      pwned: (window as unknown as { __pwned?: number }).__pwned ?? 0,
      scripts: list.querySelectorAll('script, iframe, img, svg:not(.icon), object, embed').length,
      badLinks: Array.from(list.querySelectorAll('a'))
        .map((a) => a.getAttribute('href') ?? '')
        .filter((h) => !/^https?:\/\//.test(h) && !h.startsWith('mailto:')),
      handlers: Array.from(list.querySelectorAll('*')).filter((el) =>
        Array.from(el.attributes).some((a) => a.name.startsWith('on')),
      ).length,
    };
  });
  expect(report).toEqual({ pwned: 0, scripts: 0, badLinks: [], handlers: 0 });
  expect(dialogs).toBe(0);
  // The literal sender label shows as text.
  await expect(
    page.locator('.sender').filter({ hasText: '<img src=x onerror=window.__pwned=1>' }),
  ).toBeVisible();
});

test('links open in a new tab without opener or referrer', async ({ relay, newPage }) => {
  const page = await newPage();
  const url = await createRoom(page, relay);
  const parsed = parseRoomLink(url);
  if (!parsed.ok) throw new Error(parsed.message);
  await fetch(`${relay.url}/api/rooms/${parsed.link.roomId}/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      sender: 'bot',
      ...sealText('see [docs](https://example.com/docs) and https://example.org/x.', parsed.link.key),
    }),
  });
  const links = page.locator('.messages a');
  await expect(links).toHaveCount(2);
  for (const a of await links.all()) {
    await expect(a).toHaveAttribute('target', '_blank');
    await expect(a).toHaveAttribute('rel', 'noopener noreferrer');
  }
  await expect(links.nth(1)).toHaveAttribute('href', 'https://example.org/x');
});
