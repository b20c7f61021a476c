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
