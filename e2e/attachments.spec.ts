/**
 * Encrypted attachments and edits between browsers: an image and a 1.5 MB binary sent from one
 * browser arrive byte-identical in another, after a reload and for a late joiner, while no request
 * or WebSocket frame from any browser carries 47 bytes of either file or the room key; an edit
 * converges everywhere, a forged one is ignored.
 */
import { randomBytes } from 'node:crypto';
import type { Page } from '@playwright/test';
import { decodeBase64Loose, editEnvelope } from '../protocol/index.js';
import { Room } from '../agent/sdk/index.js';
import { test, expect, createRoom, openRoom, send, bubble, twoInRoom, png } from './fixtures.js';

/** Everything a page sends: request URLs and bodies, and WebSocket frames. */
function record(page: Page, out: Buffer[]): void {
  page.on('request', (r) => {
    out.push(Buffer.from(r.url()));
    const body = r.postDataBuffer();
    if (body) out.push(body);
  });
  page.on('websocket', (ws) => {
    out.push(Buffer.from(ws.url()));
    ws.on('framesent', (f) => out.push(typeof f.payload === 'string' ? Buffer.from(f.payload) : f.payload));
  });
}

/**
 * No run of 47 or more plaintext bytes anywhere in what the browsers sent: every 32-byte window of
 * the file that starts at a multiple of 16 (any such run contains one) is looked up at every
 * offset of the recorded bytes.
 */
function assertNoWindow(sent: Buffer[], file: Buffer, what: string): void {
  const windows = new Set<string>();
  for (let off = 0; off + 32 <= file.length; off += 16) windows.add(file.toString('latin1', off, off + 32));
  windows.add(file.toString('latin1', file.length - 32));
  const hay = Buffer.concat(sent).toString('latin1');
  for (let i = 0; i + 32 <= hay.length; i++) {
    if (windows.has(hay.slice(i, i + 32))) expect.soft(i, `${what}: plaintext sent at offset ${i}`).toBe(-1);
  }
}

async function downloaded(page: Page, click: () => Promise<void>): Promise<Buffer> {
  const [dl] = await Promise.all([page.waitForEvent('download'), click()]);
  const stream = await dl.createReadStream();
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function fileBubble(page: Page, name: string) {
  return page
    .locator('article.bubble:not(.is-pending)')
    .filter({ has: page.locator(`.file-card[data-file-name="${name}"]`) });
}

async function checkReceived(page: Page, image: Buffer, binary: Buffer): Promise<void> {
  const img = fileBubble(page, 'photo.png');
  await expect(img.locator('.file-thumb img')).toBeVisible({ timeout: 20_000 });
  const bin = fileBubble(page, 'blob.bin');
  await expect(bin).toBeVisible();
  await expect(bin).toContainText('1.4 MiB');
  expect(
    (await downloaded(page, () => bin.getByRole('button', { name: 'Download blob.bin' }).click())).equals(
      binary,
    ),
  ).toBe(true);
  // The full image, decrypted on demand, in the viewer; saved from there byte-identical.
  await img.getByRole('button', { name: 'View image photo.png' }).click();
  const viewer = page.getByRole('dialog', { name: 'Image photo.png' });
  await expect(viewer).toBeVisible();
  await expect
    .poll(() => viewer.locator('img').evaluate((el) => (el as HTMLImageElement).naturalWidth))
    .toBe(800);
  // The viewer fits the screen, a phone's included.
  const shown = (await viewer.locator('img').boundingBox())!;
  const screen = page.viewportSize()!;
  expect(shown.x).toBeGreaterThanOrEqual(0);
  expect(shown.x + shown.width).toBeLessThanOrEqual(screen.width);
  expect(shown.y + shown.height).toBeLessThanOrEqual(screen.height);
  expect(
    (await downloaded(page, () => viewer.getByRole('button', { name: 'Save' }).click())).equals(image),
  ).toBe(true);
  await viewer.getByRole('button', { name: 'Close viewer' }).click();
  await expect(viewer).toHaveCount(0);
}

test('an image and a 1.5 MB file reach other browsers byte-identical, after reload and for a late joiner, and never in the clear', async ({
  newPage,
  relay,
}) => {
  const sent: Buffer[] = [];
  const a = await newPage();
  record(a, sent);
  const url = await createRoom(a, relay);
  const b = await newPage({ viewport: { width: 390, height: 800 }, touch: true });
  record(b, sent);
  await openRoom(b, url);

  const image = png(800, 300);
  const binary = randomBytes(1_500_000);
  await a
    .locator('[data-testid=camera-input]')
    .setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: image });
  await a
    .locator('[data-testid=attach-input]')
    .setInputFiles({ name: 'blob.bin', mimeType: 'application/octet-stream', buffer: binary });
  await expect(fileBubble(a, 'blob.bin')).toBeVisible({ timeout: 30_000 });
  await expect(a.locator('.upload-list')).toHaveCount(0);
  await expect(fileBubble(a, 'photo.png').locator('.you')).toBeVisible();

  await checkReceived(b, image, binary);
  await b.reload();
  await checkReceived(b, image, binary);
  const c = await newPage();
  record(c, sent);
  await openRoom(c, url);
  await checkReceived(c, image, binary);

  assertNoWindow(sent, image, 'image');
  assertNoWindow(sent, binary, 'binary');
  const keyText = new URL(url).hash.replace('#k=', '');
  const hay = Buffer.concat(sent);
  expect(hay.indexOf(keyText)).toBe(-1);
  const key = Buffer.from(decodeBase64Loose(keyText)!);
  expect(hay.indexOf(key)).toBe(-1);
  // Nor in standard base64 or hex.
  expect(hay.indexOf(key.toString('base64').replace(/=+$/, ''))).toBe(-1);
  expect(hay.indexOf(key.toString('hex'))).toBe(-1);
  expect(hay.indexOf('photo.png')).toBe(-1);
  expect(hay.indexOf('blob.bin')).toBe(-1);
});

test('an edit converges everywhere, after reload and for a late joiner; a forged edit is ignored', async ({
  newPage,
  relay,
}) => {
  const { a, b, url } = await twoInRoom(newPage, relay);
  await send(a, 'deploy at 5pm');
  await send(a, 'second line of thought');
  await expect(bubble(b, 'second line of thought')).toBeVisible();

  // ArrowUp in the empty composer edits the last own message.
  await a.locator('#composer-input').press('ArrowUp');
  const box = a.locator('#edit-input');
  await expect(box).toHaveValue('second line of thought');
  await box.fill('second thought, edited');
  await box.press('Enter');
  // The Edit action edits an older one.
  const first = bubble(a, 'deploy at 5pm');
  await first.hover();
  await first.getByRole('button', { name: 'Edit message' }).click();
  await a.locator('#edit-input').fill('deploy at 6pm');
  await a.locator('#edit-input').press('Enter');

  const firstId = await bubble(a, 'deploy at 6pm').getAttribute('data-msg-id');
  // Someone else, with the room key but not the sender's label, tries to rewrite it.
  const mallory = new Room(url.replace(/^http:\/\/[^/]+/, relay.url), {
    name: 'mallory',
    onWarning: () => undefined,
  });
  await mallory.send(editEnvelope(firstId!, 'deploy NOW, skip the tests'));
  await mallory.send('mallory was here');

  const c = await newPage();
  await openRoom(c, url);
  for (const p of [a, b, c]) {
    await expect(bubble(p, 'mallory was here')).toBeVisible();
    await expect(bubble(p, 'deploy at 6pm').locator('.edited-mark')).toBeVisible();
    await expect(bubble(p, 'second thought, edited').locator('.edited-mark')).toBeVisible();
    await expect(bubble(p, 'deploy at 5pm')).toHaveCount(0);
    await expect(bubble(p, 'skip the tests')).toHaveCount(0);
  }
  await b.reload();
  await expect(bubble(b, 'mallory was here')).toBeVisible();
  await expect(bubble(b, 'deploy at 6pm').locator('.edited-mark')).toBeVisible();
  await expect(bubble(b, 'skip the tests')).toHaveCount(0);
  await expect(bubble(b, 'second line of thought')).toHaveCount(0);
  // Other people's messages offer no Edit action.
  await bubble(b, 'deploy at 6pm').hover();
  await expect(bubble(b, 'deploy at 6pm').getByRole('button', { name: 'Edit message' })).toHaveCount(0);
});

test('a file moves from an agent to a browser and back, byte-identical', async ({ newPage, relay }) => {
  const page = await newPage();
  const url = await createRoom(page, relay);
  const agent = new Room(url, { name: 'build-bot', onWarning: () => undefined });
  const log = randomBytes(400_000);
  await agent.sendFile(log, { name: 'build.log', type: 'text/plain', text: 'nightly build log' });
  const card = fileBubble(page, 'build.log');
  await expect(card).toContainText('nightly build log');
  expect(
    (await downloaded(page, () => card.getByRole('button', { name: 'Download build.log' }).click())).equals(
      log,
    ),
  ).toBe(true);

  const reply = randomBytes(300_000);
  await page
    .locator('[data-testid=attach-input]')
    .setInputFiles({ name: 'fix.patch', mimeType: 'text/x-diff', buffer: reply });
  await expect(fileBubble(page, 'fix.patch').locator('.you')).toBeVisible({ timeout: 20_000 });
  const hist = await agent.history();
  const m = hist.find((x) => x.attachment?.name === 'fix.patch');
  expect(m?.attachment).toMatchObject({ type: 'text/x-diff', size: reply.length });
  expect(Buffer.from(await agent.download(m!)).equals(reply)).toBe(true);
});

test('files arrive by drag and drop and by paste; a cancelled upload posts nothing and frees its reservation', async ({
  newPage,
  relay,
}) => {
  const { a, b } = await twoInRoom(newPage, relay);
  const dropped = randomBytes(120_000);
  const pasted = randomBytes(90_000);
  // What a drop from the file manager and a paste from the clipboard hand the page.
  await a.locator('#composer-input').evaluate(
    (el, files) => {
      const dt = (name: string, b64: string) => {
        const d = new DataTransfer();
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        d.items.add(new File([bytes], name, { type: 'application/octet-stream' }));
        return d;
      };
      const drop = dt('dropped.bin', files.dropped);
      el.dispatchEvent(new DragEvent('dragover', { dataTransfer: drop, bubbles: true, cancelable: true }));
      el.dispatchEvent(new DragEvent('drop', { dataTransfer: drop, bubbles: true, cancelable: true }));
      el.dispatchEvent(
        new ClipboardEvent('paste', {
          clipboardData: dt('pasted.bin', files.pasted),
          bubbles: true,
          cancelable: true,
        }),
      );
    },
    { dropped: dropped.toString('base64'), pasted: pasted.toString('base64') },
  );
  for (const [name, bytes] of [
    ['dropped.bin', dropped],
    ['pasted.bin', pasted],
  ] as const) {
    const card = fileBubble(b, name);
    await expect(card).toBeVisible({ timeout: 20_000 });
    expect(
      (await downloaded(b, () => card.getByRole('button', { name: `Download ${name}` }).click())).equals(
        bytes,
      ),
    ).toBe(true);
  }
  await expect(a.locator('.upload-list')).toHaveCount(0);
  const held = await relay.relay.blobs.totalBytes();

  // The second chunk of a larger file stalls on its way; Cancel stops the upload.
  let release = () => {};
  const stalled = new Promise<void>((res) => (release = res));
  await a.route('**/blobs/*/chunks/1', async (route) => {
    await stalled;
    await route.abort();
  });
  await a
    .locator('[data-testid=attach-input]')
    .setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: randomBytes(900_000) });
  const row = a.locator('.upload-list li').filter({ hasText: 'big.bin' });
  await expect(row).toBeVisible();
  await expect.poll(() => relay.relay.blobs.totalBytes()).toBeGreaterThan(held);
  await row.getByRole('button', { name: 'Cancel' }).click();
  release();
  await expect(a.locator('.upload-list')).toHaveCount(0);
  await expect.poll(() => relay.relay.blobs.totalBytes()).toBe(held);
  await send(a, 'after the cancel');
  await expect(bubble(b, 'after the cancel')).toBeVisible();
  await expect(fileBubble(b, 'big.bin')).toHaveCount(0);
  await expect(fileBubble(a, 'big.bin')).toHaveCount(0);
});

test('a download can be cancelled, and a file whose ciphertext was altered on the way is refused, never saved or shown', async ({
  newPage,
  relay,
}) => {
  const { a, b } = await twoInRoom(newPage, relay);
  const image = png(300, 200);
  await a
    .locator('[data-testid=camera-input]')
    .setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: image });
  await a
    .locator('[data-testid=attach-input]')
    .setInputFiles({ name: 'blob.bin', mimeType: 'application/octet-stream', buffer: randomBytes(600_000) });
  const bin = fileBubble(b, 'blob.bin');
  const img = fileBubble(b, 'photo.png');
  await expect(bin).toBeVisible({ timeout: 20_000 });
  await expect(img.locator('.file-thumb img')).toBeVisible();

  // Cancel: the second chunk never comes; Cancel returns the card to Download, nothing is saved.
  let saved = 0;
  b.on('download', () => saved++);
  await b.route('**/blobs/*/chunks/1', async (route) => {
    await new Promise((res) => setTimeout(res, 4000));
    await route.abort().catch(() => undefined);
  });
  await bin.getByRole('button', { name: 'Download blob.bin' }).click();
  await expect(bin.getByRole('progressbar', { name: 'Downloading blob.bin' })).toBeVisible();
  await bin.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(bin.getByRole('button', { name: 'Download blob.bin' })).toBeVisible();
  await b.unrouteAll({ behavior: 'wait' });

  // A relay (or anyone on the path) that flips one bit of a chunk: refused, with a message.
  await b.route('**/blobs/*/chunks/*', async (route) => {
    const res = await route.fetch();
    const body = await res.body();
    body[body.length >> 1]! ^= 1;
    await route.fulfill({ response: res, body });
  });
  await bin.getByRole('button', { name: 'Download blob.bin' }).click();
  await expect(bin.getByRole('alert')).toContainText('Refused: the file failed its integrity check');
  await img.getByRole('button', { name: 'View image photo.png' }).click();
  await expect(img.getByRole('alert')).toContainText('Refused: the file failed its integrity check');
  await expect(b.getByRole('dialog', { name: 'Image photo.png' })).toHaveCount(0);
  expect(saved).toBe(0);
});

async function deleteForEveryone(page: Page, name: string): Promise<void> {
  const doomed = fileBubble(page, name);
  await doomed.hover();
  await doomed.getByRole('button', { name: 'Delete for everyone' }).click();
  await page
    .getByRole('dialog', { name: 'Delete for everyone?' })
    .getByRole('button', { name: 'Delete for everyone' })
    .click();
  await expect(fileBubble(page, name)).toHaveCount(0);
}

test("only the uploader's delete for everyone frees a file at the relay, also after a reload", async ({
  newPage,
  relay,
}) => {
  const { a, b } = await twoInRoom(newPage, relay);
  const before = await relay.relay.blobs.totalBytes();
  for (const name of ['first.bin', 'second.bin'])
    await a
      .locator('[data-testid=attach-input]')
      .setInputFiles({ name, mimeType: 'application/octet-stream', buffer: randomBytes(5000) });
  for (const name of ['first.bin', 'second.bin']) await expect(fileBubble(b, name)).toBeVisible();
  // 5000 bytes of plaintext, 5016 of ciphertext, each.
  const held = before + 2 * 5016;
  await expect.poll(() => relay.relay.blobs.totalBytes()).toBe(held);

  // Another participant hides the message for everyone, but cannot free the uploader's file.
  await deleteForEveryone(b, 'first.bin');
  await expect(fileBubble(a, 'first.bin')).toHaveCount(0);
  await send(b, 'after the delete');
  await expect(bubble(a, 'after the delete')).toBeVisible();
  expect(await relay.relay.blobs.totalBytes()).toBe(held);

  // The uploader, after a reload (its delete secret is kept on the device), frees its file.
  await a.reload();
  await expect(fileBubble(a, 'second.bin')).toBeVisible();
  await deleteForEveryone(a, 'second.bin');
  await expect(fileBubble(b, 'second.bin')).toHaveCount(0);
  await expect.poll(() => relay.relay.blobs.totalBytes()).toBe(held - 5016);
});
