/**
 * Web Push against hostile clients: the relay posts to URLs its clients supply, so it must never
 * reach an address inside its own network (SSRF), and a flood of subscriptions must stay within
 * the per-address and global caps while a bystander's subscription keeps being served.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { createECDH, randomBytes } from 'node:crypto';
import { fakeSealed, postJson } from '../../test-support/clients.js';
import { startRelay, TestClock, type TestRelay } from '../../test-support/relay.js';
import { defaultPushConfig, pushConfigFromEnv, type PushConfig } from '../push/config.js';
import { endpointAllowed, isPublicAddress } from '../push/endpoint.js';
import type { PushService } from '../push/sender.js';

const vapid = webpush.generateVAPIDKeys();
const pushConfig = (p: Partial<PushConfig>) =>
  defaultPushConfig({
    vapidPublicKey: vapid.publicKey,
    vapidPrivateKey: vapid.privateKey,
    vapidSubject: 'mailto:ops@example.org',
    ...p,
  });

function keys() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') };
}
const subscription = (endpoint: string) => ({ endpoint, keys: keys() });
const from = (ip: string): Record<string, string> => ({ 'x-forwarded-for': ip });

/** Counts every connection made to it: an SSRF target inside the relay's own network. */
class Target {
  hits = 0;
  private server: Server = createServer((_req, res) => {
    res.statusCode = 201;
    res.end();
  });
  port = 0;

  async start(): Promise<void> {
    this.server.on('connection', () => this.hits++);
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

let r: TestRelay | null = null;
afterEach(async () => {
  await r?.close();
  r = null;
});

const service = (): PushService => r!.relay.deps.push!;
const settle = () => new Promise((res) => setTimeout(res, 200));

describe('push endpoints cannot reach the relay’s own network', () => {
  const rules = { endpointHosts: ['fcm.googleapis.com', 'localhost', '127.0.0.1'], localStandIn: false };

  it('only https, on the default port, to a listed push-service host named by name', () => {
    expect(endpointAllowed('https://fcm.googleapis.com/fcm/send/abc', rules)).toBe(true);
    expect(endpointAllowed('https://eu.fcm.googleapis.com/fcm/send/abc', rules)).toBe(true);
    for (const bad of [
      'http://fcm.googleapis.com/fcm/send/abc',
      'https://fcm.googleapis.com:8443/fcm/send/abc',
      'https://user:pw@fcm.googleapis.com/x',
      'https://fcm.googleapis.com.evil.example/x',
      'https://evilfcm.googleapis.com/x',
      'https://127.0.0.1/x',
      'https://[::1]/x',
      'https://10.0.0.1/x',
      'https://169.254.169.254/latest/meta-data',
      'file:///etc/passwd',
      'not a url',
    ])
      expect(endpointAllowed(bad, rules), bad).toBe(false);
    // A test's local stand-in may use plain http on a loopback port, and only with the test flag.
    expect(endpointAllowed('http://127.0.0.1:9/x', { ...rules, localStandIn: true })).toBe(true);
  });

  it('classifies loopback, private, link-local, shared and documentation addresses as not public', () => {
    for (const a of ['8.8.8.8', '142.250.74.110', '2a00:1450:4001:82b::200a'])
      expect(isPublicAddress(a), a).toBe(true);
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '198.18.0.1',
      '203.0.113.9',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '64:ff9b::a00:1',
      '2001:db8::1',
      'ff02::1',
      'not-an-address',
    ])
      expect(isPublicAddress(a), a).toBe(false);
  });

  it('the operator list takes host names only, never addresses or a bare top-level domain', () => {
    const env = {
      VAPID_PUBLIC_KEY: vapid.publicKey,
      VAPID_PRIVATE_KEY: vapid.privateKey,
      VAPID_SUBJECT: 'mailto:a@b.c',
    };
    expect(
      pushConfigFromEnv({ ...env, PUSH_ENDPOINT_HOSTS: 'push.example.org, fcm.googleapis.com' })
        ?.endpointHosts,
    ).toEqual(['push.example.org', 'fcm.googleapis.com']);
    for (const bad of ['10.0.0.1', 'com', '[::1]', 'push.example.org/path'])
      expect(() => pushConfigFromEnv({ ...env, PUSH_ENDPOINT_HOSTS: bad }), bad).toThrow(
        /PUSH_ENDPOINT_HOSTS/,
      );
    // The stand-in flag has no environment variable.
    expect(pushConfigFromEnv(env)?.localStandIn).toBe(false);
  });

  it('a listed name that resolves to loopback is refused when the push goes out: nothing connects', async () => {
    const target = new Target();
    await target.start();
    try {
      // The operator listed a name a client can make resolve inward (here: localhost).
      r = await startRelay({ push: pushConfig({ endpointHosts: ['localhost'] }) });
      const ok = await postJson(`${r.url}/api/push/rooms`, {
        subscription: subscription('https://localhost/push/1'),
        rooms: ['ssrfroom01'],
      });
      expect(ok.status).toBe(200);
      // Addresses and other ports are refused at registration already.
      for (const endpoint of [
        `https://127.0.0.1:${target.port}/x`,
        `http://localhost:${target.port}/x`,
        `https://localhost:${target.port}/x`,
      ])
        expect(
          (
            await postJson(`${r.url}/api/push/rooms`, {
              subscription: subscription(endpoint),
              rooms: ['ssrfroom01'],
            })
          ).status,
          endpoint,
        ).toBe(400);
      expect((await postJson(`${r.url}/api/rooms/ssrfroom01/messages`, fakeSealed())).status).toBe(200);
      await expect.poll(() => service().refused, { timeout: 5_000 }).toBe(1);
      expect(service().sent).toBe(0);
      expect(target.hits).toBe(0);
    } finally {
      await target.close();
    }
  });
});

describe('a flood of push subscriptions', () => {
  let standIn: Server;
  const pushedTo: string[] = [];
  let base = '';
  beforeAll(async () => {
    standIn = createServer((req, res) => {
      pushedTo.push(req.url ?? '');
      req.resume();
      res.statusCode = 201;
      res.end();
    });
    await new Promise<void>((res) => standIn.listen(0, '127.0.0.1', res));
    base = `http://127.0.0.1:${(standIn.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((res) => standIn.close(() => res())));

  it('stays within its address’s share and the global cap (oldest go), and a bystander keeps getting pushes', async () => {
    const clock = new TestClock();
    r = await startRelay(
      {
        trustProxy: 'loopback',
        push: pushConfig({
          endpointHosts: ['127.0.0.1'],
          localStandIn: true,
          subscriptionsMax: 6,
          subscriptionsPerIp: 2,
        }),
      },
      clock,
    );
    const nodes = [r, r.peer ?? r];
    const register = (n: number, ip: string, endpoint = `${base}/flood/${n}`) =>
      postJson(
        `${nodes[n % 2]!.url}/api/push/rooms`,
        { subscription: subscription(endpoint), rooms: ['floodroom1'] },
        from(ip),
      );
    // The bystander registers first, through one node.
    expect((await register(0, '203.0.113.77', `${base}/bystander`)).status).toBe(200);
    clock.advance(1);
    // One address: its share, then 429, through either node.
    const one = [];
    for (let i = 1; i <= 4; i++) one.push((await register(i, '198.51.100.1')).status);
    expect(one).toEqual([200, 200, 429, 429]);
    // The bystander registers again (as the page does on each visit), so it is not the oldest.
    clock.advance(1);
    expect((await register(0, '203.0.113.77', `${base}/bystander`)).status).toBe(200);
    // Many addresses: the global cap holds, the least recently registered go first.
    for (let i = 0; i < 8; i++) {
      clock.advance(1);
      expect((await register(10 + i, `198.51.100.${10 + i}`)).status).toBe(200);
      expect(await service().store.count(clock.now())).toBeLessThanOrEqual(6);
    }
    expect(await service().store.count(clock.now())).toBe(6);

    // A post pushes to exactly the held subscriptions: the six newest flood entries, and not
    // the bystander, who was pushed out by the cap (its page registers again on its next visit).
    expect((await postJson(`${r.url}/api/rooms/floodroom1/messages`, fakeSealed())).status).toBe(200);
    await expect.poll(() => pushedTo.length, { timeout: 5_000 }).toBe(6);
    await settle();
    expect(pushedTo.length).toBe(6);
    expect(new Set(pushedTo)).toEqual(new Set([12, 13, 14, 15, 16, 17].map((i) => `/flood/${i}`)));

    // Registering again brings the bystander back within the cap; it is pushed, once, on the
    // next post after the coalescing window.
    expect((await register(0, '203.0.113.77', `${base}/bystander`)).status).toBe(200);
    expect(await service().store.count(clock.now())).toBe(6);
    clock.advance(61_000);
    expect((await postJson(`${nodes[1]!.url}/api/rooms/floodroom1/messages`, fakeSealed())).status).toBe(200);
    await expect.poll(() => pushedTo.filter((p) => p === '/bystander').length, { timeout: 5_000 }).toBe(1);
  });

  it('forgets a subscription its page has not registered again within the TTL', async () => {
    const clock = new TestClock();
    r = await startRelay(
      {
        push: pushConfig({ endpointHosts: ['127.0.0.1'], localStandIn: true, subscriptionTtlMs: 60_000 }),
      },
      clock,
    );
    const before = pushedTo.length;
    const reg = (path: string, room: string) =>
      postJson(`${r!.url}/api/push/rooms`, { subscription: subscription(`${base}${path}`), rooms: [room] });
    expect((await reg('/old', 'ttlroom001')).status).toBe(200);
    clock.advance(61_000);
    expect((await reg('/fresh', 'ttlroom002')).status).toBe(200);
    expect(await service().store.count(clock.now())).toBe(1);
    await postJson(`${r.url}/api/rooms/ttlroom001/messages`, fakeSealed());
    await postJson(`${r.url}/api/rooms/ttlroom002/messages`, fakeSealed());
    await expect.poll(() => pushedTo.length, { timeout: 5_000 }).toBe(before + 1);
    await settle();
    expect(pushedTo.slice(before)).toEqual(['/fresh']);
  });
});
