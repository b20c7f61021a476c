/**
 * Hostile subscriptions against Web Push: the relay posts only to https push-service hosts on
 * their default port, never to an address, another port, credentials or a look-alike host.
 */
import { createECDH, randomBytes } from 'node:crypto';
import webpush from 'web-push';
import { afterEach, describe, expect, it } from 'vitest';
import { postJson } from '../../test-support/clients.js';
import { startRelay, type TestRelay } from '../../test-support/relay.js';
import { defaultPushConfig } from '../push/config.js';

function subscription(endpoint: string) {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return {
    endpoint,
    keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') },
  };
}

let r: TestRelay | null = null;
afterEach(async () => {
  await r?.close();
  r = null;
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
