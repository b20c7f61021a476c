/**
 * Web Push end to end: the relay encrypts and signs a push to a stand-in push service (a local
 * HTTP server, the outermost edge), which this test decrypts with the subscriber's own keys.
 */
import { execFileSync } from 'node:child_process';
import { createECDH, randomBytes, type ECDH } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The Web Push content coding (RFC 8188/8291), from web-push's own dependency.
import ece from 'http_ece';
import { fakeSealed, getJson, postJson } from '../../test-support/clients.js';
import { startRelay, TestClock, type TestRelay } from '../../test-support/relay.js';
import { defaultPushConfig } from '../push/config.js';
import { fixedIdentity, register, sealedDm, signDm, signed } from './identity-helpers.js';

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

class StandInPushService {
  readonly received: Received[] = [];
  status = 201;
  private server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.statusCode = this.status;
      res.end();
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  async next(count: number): Promise<Received> {
    for (let i = 0; i < 200 && this.received.length < count; i++) await new Promise((r) => setTimeout(r, 10));
    expect(this.received).toHaveLength(count);
    return this.received[count - 1]!;
  }
}

/** A browser's push subscription: a P-256 key pair and an auth secret. */
function subscriber(endpoint: string) {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return {
    ecdh,
    auth,
    subscription: {
      endpoint,
      keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
    },
  };
}

function open(r: Received, sub: { ecdh: ECDH; auth: Buffer }): unknown {
  const plain = ece.decrypt(r.body, {
    version: 'aes128gcm',
    privateKey: sub.ecdh,
    authSecret: sub.auth.toString('base64url'),
  }) as Buffer;
  return JSON.parse(plain.toString('utf8'));
}

const keys = () => {
  // The operator's one command, as documented.
  const out = execFileSync('npx', ['tsx', 'relay/push/keygen.ts', 'mailto:ops@example.org'], {
    encoding: 'utf8',
  });
  const env = Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return env as Record<'VAPID_PUBLIC_KEY' | 'VAPID_PRIVATE_KEY' | 'VAPID_SUBJECT', string>;
};

let push: StandInPushService;
let r: TestRelay;
let plain: TestRelay;
let vapid: ReturnType<typeof keys>;
const clock = new TestClock();

beforeAll(async () => {
  vapid = keys();
  push = new StandInPushService();
  await push.start();
  r = await startRelay(
    {
      push: defaultPushConfig({
        vapidPublicKey: vapid.VAPID_PUBLIC_KEY,
        vapidPrivateKey: vapid.VAPID_PRIVATE_KEY,
        vapidSubject: vapid.VAPID_SUBJECT,
        endpointHosts: ['127.0.0.1'],
        localStandIn: true,
      }),
    },
    clock,
  );
  plain = await startRelay();
}, 60_000);
afterAll(async () => {
  await r.close();
  await plain.close();
  await push.close();
});

describe('web push', () => {
  it('the key generator prints a usable VAPID pair, and the relay hands out the public key', async () => {
    expect(vapid.VAPID_PUBLIC_KEY).toMatch(/^[A-Za-z0-9_-]{87}$/);
    expect(vapid.VAPID_PRIVATE_KEY).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(vapid.VAPID_SUBJECT).toBe('mailto:ops@example.org');
    const k = await getJson(`${r.url}/api/push/key`);
    expect(k.status).toBe(200);
    expect(k.json.public_key).toBe(vapid.VAPID_PUBLIC_KEY);
    expect((await getJson(`${plain.url}/api/push/key`)).status).toBe(404);
  });

  it('a post to a chosen room sends one metadata-only push, coalesced per minute (from either node)', async () => {
    const sub = subscriber(`${push.url}/send/room-sub`);
    const before = push.received.length;
    expect(
      (await postJson(`${r.url}/api/push/rooms`, { subscription: sub.subscription, rooms: ['pushroom01'] }))
        .status,
    ).toBe(200);
    await postJson(`${(r.peer ?? r).url}/api/rooms/pushroom01/messages`, {
      sender: 'someone',
      ...fakeSealed(),
    });
    const got = await push.next(before + 1);
    expect(got.path).toBe('/send/room-sub');
    expect(got.headers['content-encoding']).toBe('aes128gcm');
    expect(String(got.headers.authorization)).toMatch(
      new RegExp(`^vapid t=[^,]+, k=${vapid.VAPID_PUBLIC_KEY}$`),
    );
    const note = open(got, sub);
    expect(note).toEqual({ kind: 'room', url: '/' });
    // Nothing about the room, the sender or the text rides along.
    expect(JSON.stringify(note)).not.toMatch(/pushroom01|someone/);

    await postJson(`${r.url}/api/rooms/pushroom01/messages`, fakeSealed());
    await postJson(`${r.url}/api/rooms/otherroom1/messages`, fakeSealed());
    const marker = subscriber(`${push.url}/send/marker`);
    await postJson(`${r.url}/api/push/rooms`, { subscription: marker.subscription, rooms: ['markroom01'] });
    await postJson(`${r.url}/api/rooms/markroom01/messages`, fakeSealed());
    await push.next(before + 2);
    expect(push.received[before + 1]!.path).toBe('/send/marker');

    clock.advance(61_000);
    await postJson(`${r.url}/api/rooms/pushroom01/messages`, fakeSealed());
    expect((await push.next(before + 3)).path).toBe('/send/room-sub');

    // Unsubscribed: silence.
    expect(
      (await postJson(`${r.url}/api/push/unsubscribe`, { endpoint: sub.subscription.endpoint })).status,
    ).toBe(200);
    clock.advance(61_000);
    await postJson(`${r.url}/api/rooms/pushroom01/messages`, fakeSealed());
    await postJson(`${r.url}/api/rooms/markroom01/messages`, fakeSealed());
    await push.next(before + 4);
    expect(push.received[before + 3]!.path).toBe('/send/marker');
  });

  it('DM pushes need the owner signature and say only "dm"', async () => {
    const bob = fixedIdentity('pushbob', 11);
    const alice = fixedIdentity('pushalice', 12);
    expect((await register(r.url, bob, clock.now())).status).toBe(201);
    expect((await register(r.url, alice, clock.now())).status).toBe(201);
    const sub = subscriber(`${push.url}/send/dm-sub`);
    // Unsigned: refused.
    expect((await postJson(`${r.url}/api/dm/pushbob/push`, { subscription: sub.subscription })).status).toBe(
      401,
    );
    expect(
      (
        await signed(r.url, bob, 'POST', '/api/dm/pushbob/push', clock.now(), {
          subscription: sub.subscription,
        })
      ).status,
    ).toBe(200);
    const before = push.received.length;
    const env = sealedDm();
    expect(
      (await postJson(`${r.url}/api/dm/pushbob`, { ...env, ...signDm(alice, 'pushbob', env, clock.now()) }))
        .status,
    ).toBe(200);
    const got = await push.next(before + 1);
    expect(got.path).toBe('/send/dm-sub');
    expect(open(got, sub)).toEqual({ kind: 'dm', url: '/dm' });

    // A DM accepted by the other node (in a cluster) pushes too, once the window has passed.
    clock.advance(61_000);
    const env2 = sealedDm();
    const peer = (r.peer ?? r).url;
    expect(
      (await postJson(`${peer}/api/dm/pushbob`, { ...env2, ...signDm(alice, 'pushbob', env2, clock.now()) }))
        .status,
    ).toBe(200);
    expect((await push.next(before + 2)).path).toBe('/send/dm-sub');
  });

  it('posts racing through both nodes within the window send one push', async () => {
    clock.advance(61_000);
    const sub = subscriber(`${push.url}/send/race`);
    await postJson(`${r.url}/api/push/rooms`, { subscription: sub.subscription, rooms: ['raceroom01'] });
    const before = push.received.length;
    const nodes = [r.url, (r.peer ?? r).url];
    const posts = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        postJson(`${nodes[i % 2]}/api/rooms/raceroom01/messages`, fakeSealed()),
      ),
    );
    expect(posts.map((p) => p.status)).toEqual(Array(8).fill(200));
    // A marker pushed after the race, and a moment more: a second push would have come by then.
    const marker = subscriber(`${push.url}/send/race-marker`);
    await postJson(`${r.url}/api/push/rooms`, { subscription: marker.subscription, rooms: ['raceroom02'] });
    await postJson(`${(r.peer ?? r).url}/api/rooms/raceroom02/messages`, fakeSealed());
    await push.next(before + 2);
    await new Promise((res) => setTimeout(res, 200));
    expect(
      push.received
        .slice(before)
        .map((x) => x.path)
        .sort(),
    ).toEqual(['/send/race', '/send/race-marker']);
  });

  it('refuses endpoints that are not push services, and forgets subscriptions the service dropped', async () => {
    const evil = subscriber('http://10.0.0.1/internal');
    expect(
      (await postJson(`${r.url}/api/push/rooms`, { subscription: evil.subscription, rooms: ['pushroom02'] }))
        .status,
    ).toBe(400);
    expect(
      (await postJson(`${r.url}/api/push/rooms`, { subscription: { endpoint: 'x', keys: {} }, rooms: [] }))
        .status,
    ).toBe(400);
    const gone = subscriber(`${push.url}/send/gone`);
    await postJson(`${r.url}/api/push/rooms`, { subscription: gone.subscription, rooms: ['pushroom03'] });
    push.status = 410;
    const before = push.received.length;
    await postJson(`${r.url}/api/rooms/pushroom03/messages`, fakeSealed());
    await push.next(before + 1);
    push.status = 201;
    clock.advance(61_000);
    // Forgotten after the 410: a later post sends nothing to it.
    const marker = subscriber(`${push.url}/send/marker2`);
    await postJson(`${r.url}/api/push/rooms`, { subscription: marker.subscription, rooms: ['pushroom04'] });
    await new Promise((res) => setTimeout(res, 100));
    await postJson(`${r.url}/api/rooms/pushroom03/messages`, fakeSealed());
    await postJson(`${r.url}/api/rooms/pushroom04/messages`, fakeSealed());
    expect((await push.next(before + 2)).path).toBe('/send/marker2');
  });
});
