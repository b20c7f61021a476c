/**
 * Web Push end to end with only the outer edges faked: the relay sends an encrypted push to a
 * local stand-in push service; the test, holding the subscription's keys as the browser's push
 * service would, opens it and delivers it to the page's service worker through Chromium's
 * DevTools protocol, which shows the notification.
 */
import { createECDH, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import ece from 'http_ece';
import webpush from 'web-push';
import { test, expect, send, waitOnline } from './fixtures.js';
import { startRelay } from '../test-support/relay.js';
import { defaultPushConfig } from '../relay/push/config.js';
import { Agent } from '../agent/sdk/index.js';
import { contextWith, registered, uniq } from './identity.helpers.js';

test('a post to a chosen room reaches the service worker as a notification that says nothing of it', async ({
  browser,
}) => {
  const bodies: Buffer[] = [];
  const service = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks));
      res.statusCode = 201;
      res.end();
    });
  });
  await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
  const serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
  const vapid = webpush.generateVAPIDKeys();
  const relay = await startRelay({
    webDir: 'dist/web',
    redisUrl: null,
    push: defaultPushConfig({
      vapidPublicKey: vapid.publicKey,
      vapidPrivateKey: vapid.privateKey,
      vapidSubject: 'mailto:ops@example.org',
      endpointHosts: ['127.0.0.1'],
      localStandIn: true,
    }),
  });
  const ctx = await browser.newContext();
  try {
    await ctx.grantPermissions(['notifications'], { origin: relay.url });
    const page = await ctx.newPage();
    await page.goto(relay.url + '/');
    await page.getByRole('button', { name: 'New room' }).click();
    await page.waitForURL(/\/room\//);
    await waitOnline(page);
    const roomId = new URL(page.url()).pathname.split('/')[2]!;
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));

    // The room's settings offer the opt-in (the relay has push on).
    await page.getByRole('button', { name: 'Room settings' }).click();
    await expect(page.getByTestId('push-room')).toHaveText('Push me about new messages in this room');
    await page.keyboard.press('Escape');

    // The browser's subscription, as its push service would hold it: keys the test can open with.
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16).toString('base64url');
    const subscription = {
      endpoint: `${serviceUrl}/push/browser-1`,
      keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth },
    };
    const reg = await fetch(`${relay.url}/api/push/rooms`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ subscription, rooms: [roomId] }),
    });
    expect(reg.status).toBe(200);

    await send(page, 'the secret plan for tuesday');
    await expect.poll(() => bodies.length).toBe(1);
    const payload = (
      ece.decrypt(bodies[0]!, { version: 'aes128gcm', privateKey: ecdh, authSecret: auth }) as Buffer
    ).toString('utf8');
    expect(payload).not.toContain(roomId);
    expect(payload).not.toContain('tuesday');

    // Deliver it to the page's service worker, as the push service would.
    const cdp = await ctx.newCDPSession(page);
    const registrationId = await new Promise<string>((resolve) => {
      cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
        const r = e.registrations.find((x) => x.scopeURL === `${relay.url}/` && !x.isDeleted);
        if (r) resolve(r.registrationId);
      });
      void cdp.send('ServiceWorker.enable');
    });
    await cdp.send('ServiceWorker.deliverPushMessage', { origin: relay.url, registrationId, data: payload });
    const shown = () =>
      page.evaluate(async () =>
        (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({
          title: n.title,
          body: n.body,
        })),
      );
    await expect.poll(shown).toEqual([{ title: 'New message in a room', body: 'Open Bot2Bot to read it.' }]);
  } finally {
    await ctx.close();
    await relay.close();
    await new Promise((r) => service.close(r));
  }
});

/** A local stand-in push service: what it received, by path. */
async function standInService() {
  const got: Array<{ path: string; body: Buffer }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ path: req.url ?? '', body: Buffer.concat(chunks) });
      res.statusCode = 201;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { got, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/**
 * The browser's push service is the outermost edge: the page's PushManager hands out a
 * subscription at the stand-in, with keys the test holds, and keeps it across reloads.
 */
function browserSubscription(endpoint: string) {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16).toString('base64url');
  const keys = { p256dh: ecdh.getPublicKey().toString('base64url'), auth };
  const open = (body: Buffer) =>
    JSON.parse(
      (ece.decrypt(body, { version: 'aes128gcm', privateKey: ecdh, authSecret: auth }) as Buffer).toString(
        'utf8',
      ),
    ) as unknown;
  const init = ({ endpoint, keys }: { endpoint: string; keys: { p256dh: string; auth: string } }) => {
    const sub = {
      endpoint,
      expirationTime: null,
      options: { userVisibleOnly: true, applicationServerKey: null },
      getKey: () => null,
      toJSON: () => ({ endpoint, expirationTime: null, keys }),
      unsubscribe: async () => {
        localStorage.removeItem('test:push-subscribed');
        return true;
      },
    };
    PushManager.prototype.subscribe = async function () {
      localStorage.setItem('test:push-subscribed', '1');
      return sub as unknown as PushSubscription;
    };
    PushManager.prototype.getSubscription = async function () {
      return localStorage.getItem('test:push-subscribed') ? (sub as unknown as PushSubscription) : null;
    };
  };
  return { init, arg: { endpoint, keys }, open };
}

const pushOn = () =>
  defaultPushConfig({
    ...(() => {
      const k = webpush.generateVAPIDKeys();
      return { vapidPublicKey: k.publicKey, vapidPrivateKey: k.privateKey };
    })(),
    vapidSubject: 'mailto:ops@example.org',
    endpointHosts: ['127.0.0.1'],
    localStandIn: true,
  });

test('the room switch registers the browser, and the next visit registers it again after the relay forgot', async ({
  browser,
}) => {
  const service = await standInService();
  const config = pushOn();
  let relay = await startRelay({ webDir: 'dist/web', redisUrl: null, push: config });
  const ctx = await browser.newContext();
  try {
    await ctx.grantPermissions(['notifications'], { origin: relay.url });
    const sub = browserSubscription(`${service.url}/push/browser-2`);
    await ctx.addInitScript(sub.init, sub.arg);
    const page = await ctx.newPage();
    await page.goto(relay.url + '/');
    await page.getByRole('button', { name: 'New room' }).click();
    await page.waitForURL(/\/room\//);
    await waitOnline(page);
    await page.getByRole('button', { name: 'Room settings' }).click();
    const toggle = page.getByTestId('push-room');
    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-pressed', 'true');
    await page.keyboard.press('Escape');

    await send(page, 'first words');
    await expect.poll(() => service.got.length).toBe(1);
    expect(service.got[0]!.path).toBe('/push/browser-2');
    expect(sub.open(service.got[0]!.body)).toEqual({ kind: 'room', url: '/' });

    // A restarted relay has forgotten the subscription; the page's next visit registers it again.
    const port = relay.port;
    await relay.close();
    relay = await startRelay({ webDir: 'dist/web', redisUrl: null, push: config, port });
    const renewed = page.waitForRequest((r) => r.url().endsWith('/api/push/rooms') && r.method() === 'POST');
    await page.reload();
    expect((await (await renewed).response())?.status()).toBe(200);
    await waitOnline(page);
    await send(page, 'after the restart');
    await expect.poll(() => service.got.length).toBe(2);
    expect(sub.open(service.got[1]!.body)).toEqual({ kind: 'room', url: '/' });
  } finally {
    await ctx.close();
    await relay.close();
    await service.close();
  }
});

test('the DM switch, signed as the user, brings a push when a DM arrives', async ({ browser }) => {
  const service = await standInService();
  const relay = await startRelay({ webDir: 'dist/web', redisUrl: null, push: pushOn() });
  const tag = uniq();
  const bob = await registered(relay.url, `pbob-${tag}`);
  const alice = await registered(relay.url, `palice-${tag}`);
  const ctx = await contextWith(browser, bob);
  try {
    await ctx.grantPermissions(['notifications'], { origin: relay.url });
    const sub = browserSubscription(`${service.url}/push/browser-dm`);
    await ctx.addInitScript(sub.init, sub.arg);
    const page = await ctx.newPage();
    await page.goto(relay.url + '/dm');
    const toggle = page.getByTestId('push-dm');
    await toggle.click();
    await expect(toggle).toHaveAttribute('aria-pressed', 'true');
    await new Agent(relay.url, alice).dm(bob.handle, 'a private word');
    await expect.poll(() => service.got.length).toBe(1);
    const note = sub.open(service.got[0]!.body);
    expect(note).toEqual({ kind: 'dm', url: '/dm' });
    expect(JSON.stringify(note)).not.toContain(alice.handle);
  } finally {
    await ctx.close();
    await relay.close();
    await service.close();
  }
});
