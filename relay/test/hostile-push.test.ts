/**
 * Hostile clients against Web Push: subscriptions whose push service never answers must not
 * take every push slot, so that other subscribers keep being nudged. The push services are
 * local stand-ins (the outermost edge); addresses are simulated with X-Forwarded-For.
 */
import { createECDH, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import webpush from 'web-push';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeSealed, postJson } from '../../test-support/clients.js';
import { startRelay, type TestRelay } from '../../test-support/relay.js';
import { defaultPushConfig } from '../push/config.js';

const from = (ip: string): Record<string, string> => ({ 'x-forwarded-for': ip });

/** Answers /fast/* at once and never answers /slow/*. */
function standIn() {
  const fast: string[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      if (req.url?.startsWith('/slow/')) return void hanging.push(res);
      fast.push(req.url ?? '');
      res.statusCode = 201;
      res.end();
    });
  });
  return {
    fast,
    async start(): Promise<string> {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function subscription(endpoint: string) {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return {
    endpoint,
    keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') },
  };
}

let r: TestRelay | null = null;
let push: ReturnType<typeof standIn> | null = null;
afterEach(async () => {
  await r?.close();
  await push?.close();
  r = null;
  push = null;
});

describe('push subscriptions whose push service hangs', () => {
  it('take at most their address share of the pushes in flight; other subscribers are still nudged', async () => {
    push = standIn();
    const base = await push.start();
    const vapid = webpush.generateVAPIDKeys();
    r = await startRelay({
      redisUrl: null,
      trustProxy: 'loopback',
      push: defaultPushConfig({
        vapidPublicKey: vapid.publicKey,
        vapidPrivateKey: vapid.privateKey,
        vapidSubject: 'mailto:ops@example.org',
        endpointHosts: ['127.0.0.1'],
        allowHttp: true,
        inflightMax: 8,
        subscriptionsPerIp: 2,
        timeoutMs: 60_000,
      }),
    });
    // Two addresses, each with its two subscriptions following four rooms, on a push service
    // that never answers: sixteen pushes that would each hold a slot for the whole timeout.
    const rooms = ['hangroom1', 'hangroom2', 'hangroom3', 'hangroom4'];
    for (let a = 0; a < 2; a++)
      for (let i = 0; i < 2; i++) {
        const res = await postJson(
          `${r.url}/api/push/rooms`,
          { subscription: subscription(`${base}/slow/${a}-${i}`), rooms },
          from(`198.51.100.${a + 1}`),
        );
        expect(res.status).toBe(200);
      }
    for (const room of rooms)
      expect((await postJson(`${r.url}/api/rooms/${room}/messages`, fakeSealed())).status).toBe(200);

    const res = await postJson(
      `${r.url}/api/push/rooms`,
      { subscription: subscription(`${base}/fast/bystander`), rooms: ['quietroom'] },
      from('203.0.113.1'),
    );
    expect(res.status).toBe(200);
    expect((await postJson(`${r.url}/api/rooms/quietroom/messages`, fakeSealed())).status).toBe(200);
    for (let i = 0; i < 100 && push.fast.length === 0; i++) await new Promise((res) => setTimeout(res, 20));
    expect(push.fast).toEqual(['/fast/bystander']);
  });
});

describe('push endpoints the relay refuses to post to', () => {
  it('only https push-service hosts on their default port; no addresses, ports, credentials or look-alikes', async () => {
    const vapid = webpush.generateVAPIDKeys();
    r = await startRelay({
      redisUrl: null,
      push: defaultPushConfig({
        vapidPublicKey: vapid.publicKey,
        vapidPrivateKey: vapid.privateKey,
        vapidSubject: 'mailto:ops@example.org',
      }),
    });
    const refused = [
      'http://fcm.googleapis.com/fcm/send/x',
      'https://fcm.googleapis.com:22/fcm/send/x',
      'https://fcm.googleapis.com:6379/fcm/send/x',
      'https://127.0.0.1/x',
      'https://[::1]/x',
      'https://169.254.169.254/latest/meta-data/',
      'https://10.0.0.1/x',
      'https://fcm.googleapis.com.evil.example/x',
      'https://evilfcm.googleapis.com.example/x',
      'https://user:pw@fcm.googleapis.com/x',
      'https://evil.example/#.fcm.googleapis.com',
      'file:///etc/passwd',
    ];
    for (const endpoint of refused) {
      const res = await postJson(`${r.url}/api/push/rooms`, {
        subscription: subscription(endpoint),
        rooms: ['a1b2c3d4'],
      });
      expect(res.status, endpoint).toBe(400);
    }
    for (const endpoint of [
      'https://fcm.googleapis.com/fcm/send/x',
      'https://fcm.googleapis.com:443/fcm/send/y',
    ]) {
      const res = await postJson(`${r.url}/api/push/rooms`, {
        subscription: subscription(endpoint),
        rooms: ['a1b2c3d4'],
      });
      expect(res.status, endpoint).toBe(200);
    }
  });
});
