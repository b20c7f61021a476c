/**
 * Hostile clients at the HTTP/WebSocket edge, against a real relay over real sockets: requests
 * that do not parse, exceptions inside one request, amplified answers read by nobody, slow bodies
 * from one address, spoofed forwarded headers, IPv6 /64 grouping and foreign WebSocket origins.
 * Every case ends with a bystander being served within a bound.
 */
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { WsClient, fakeSealed, postJson } from '../../test-support/clients.js';
import { startRelay, type RelayOverrides, type TestRelay } from '../../test-support/relay.js';
import { configFromEnv } from '../config.js';
import { addressKey } from '../http/clientIp.js';
import { Router } from '../http/router.js';
import { WsTransport } from '../transports/ws.js';

/** How long a bystander may wait for an answer while the relay is under attack. */
const BYSTANDER_BOUND_MS = 2000;

const relays: TestRelay[] = [];
async function relay(overrides: RelayOverrides = {}): Promise<TestRelay> {
  const r = await startRelay(overrides);
  relays.push(r);
  return r;
}
afterAll(async () => {
  await Promise.all(relays.map((r) => r.close()));
});

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request from a chosen local address (127.0.0.0/8 is all ours on loopback). */
function httpCall(
  r: TestRelay,
  method: string,
  path: string,
  opts: { from?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: r.port,
        method,
        path,
        localAddress: opts.from,
        agent: false,
        headers: { ...(opts.body ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A bystander's health check, with how long it took. */
async function bystander(r: TestRelay, from = '127.0.0.1'): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  const a = await httpCall(r, 'GET', '/api/health', { from });
  const ms = performance.now() - t0;
  return { status: a.status, ms };
}

/** Raw bytes to the relay; resolves with whatever came back once the relay closes (or `waitMs` passes). */
function raw(r: TestRelay, text: string, opts: { from?: string; waitMs?: number } = {}): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port: r.port, localAddress: opts.from });
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve(got);
    }, opts.waitMs ?? 2000);
    s.on('connect', () => s.write(text));
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
  });
}

/** A socket that was opened and sent `text`, for holding open. */
function opened(r: TestRelay, text: string, from: string): Promise<Socket & { got: string; gone: boolean }> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port: r.port, localAddress: from }) as Socket & {
      got: string;
      gone: boolean;
    };
    s.got = '';
    s.gone = false;
    s.on('data', (d) => (s.got += d.toString('latin1')));
    s.on('close', () => (s.gone = true));
    s.on('error', () => undefined);
    s.on('connect', () => {
      s.write(text);
      resolve(s);
    });
    s.once('error', reject);
  });
}

const until = async (ok: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((res) => setTimeout(res, 25));
  return ok();
};

const status = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);

describe('nothing a request contains ends the process', () => {
  afterEach(() => vi.restoreAllMocks());

  it('survives the upgrade whose URL does not parse, and other malformed upgrades and requests', async () => {
    const r = await relay();
    const upgrade = (target: string, extra = '') =>
      `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`;
    expect(status(await raw(r, upgrade('//%%%')))).toBe(404);
    expect(status(await raw(r, upgrade('/api/rooms/%E0%A4%A/ws?after=%zz')))).toBe(400);
    expect(status(await raw(r, upgrade('http://[::1/api/rooms/abcdefgh/ws')))).toBe(404);
    expect(status(await raw(r, upgrade('/api/rooms/abcdefgh/ws', 'Origin: %%%\r\n')))).toBe(403);
    expect(
      status(
        await raw(r, upgrade('/api/rooms/abcdefgh/ws?after=1e999&after=-5', 'Sec-WebSocket-Version: 99\r\n')),
      ),
    ).toBe(400);
    // Requests the HTTP parser or the routes must refuse, never throw on.
    expect(status(await raw(r, 'GET //%%% HTTP/1.1\r\nHost: x\r\n\r\n'))).toBe(404);
    expect(
      status(
        await raw(
          r,
          'GET /api/rooms/abcdefgh/transcript?after=%zz&limit=%%%&limit=9e99 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        ),
      ),
    ).toBe(200);
    expect(
      status(
        await raw(
          r,
          'POST /api/rooms/abcdefgh/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
        ),
      ),
    ).toBe(400);
    expect(
      status(
        await raw(r, 'POST /api/rooms/abcdefgh/messages HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n{}'),
      ),
    ).toBe(400);
    expect(
      status(
        await raw(
          r,
          'POST /api/rooms/abcdefgh/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"',
        ),
      ),
    ).toBe(400);
    expect(
      status(await raw(r, 'GET /api/rooms/%ff%fe/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')),
    ).toBe(400);
    // A peer that resets its upgrade at once.
    await new Promise<void>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: r.port }, () => {
        s.write(upgrade('/api/rooms/abcdefgh/ws'));
        s.resetAndDestroy();
        resolve();
      });
      s.on('error', () => undefined);
    });
    const b = await bystander(r);
    expect(b.status).toBe(200);
    expect(b.ms).toBeLessThan(BYSTANDER_BOUND_MS);
  });

  it('an exception inside one request or upgrade answers that one 500 and logs no content', async () => {
    const r = await relay();
    const logged: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => void logged.push(String(line)));
    vi.spyOn(Router.prototype, 'match').mockImplementationOnce(() => {
      throw new Error('secret-in-request');
    });
    const a = await httpCall(r, 'GET', '/api/health');
    expect(a.status).toBe(500);
    expect(JSON.parse(a.body)).toEqual({ error: 'internal error' });
    vi.spyOn(WsTransport.prototype, 'handleUpgrade').mockImplementationOnce(() => {
      throw new Error('secret-in-upgrade');
    });
    const ws = new WsClient(`${r.url.replace('http', 'ws')}/api/rooms/abcdefgh/ws`);
    await expect(ws.opened).rejects.toThrow(/500/);
    expect(logged.length).toBeGreaterThanOrEqual(2);
    expect(logged.join('\n')).not.toMatch(/secret/);
    // And inside one WebSocket frame: that socket is closed, nothing else.
    const member = new WsClient(`${r.url.replace('http', 'ws')}/api/rooms/abcdefgh/ws`);
    await member.next((f) => f.type === 'ready');
    vi.spyOn(WsTransport.prototype, 'onFrame').mockImplementationOnce(() => {
      throw new Error('secret-in-frame');
    });
    member.send({ type: 'hello', name: 'x' });
    await new Promise((res) => member.ws.once('close', res));
    expect(member.closeCode).toBe(1011);
    expect(logged.join('\n')).not.toMatch(/secret/);
    vi.restoreAllMocks();
    const b = await bystander(r);
    expect(b.status).toBe(200);
    const again = new WsClient(`${r.url.replace('http', 'ws')}/api/rooms/abcdefgh/ws`);
    await again.opened;
    await again.close();
  });
});

describe('rate limits and large answers', () => {
  it('20 sockets asking for 500 × 128 KiB and never reading stay bounded; bystanders are served; stalled answers are cut off', async () => {
    const r = await relay({
      limits: {
        rateBucketCapacity: 10_000,
        rateBucketRefillPerS: 10_000,
        globalBucketCapacity: 10_000,
        globalBucketRefillPerS: 10_000,
        answerStallMs: 4000,
        transcriptBucketCapacity: 30,
        transcriptBucketRefillPerS: 0.001,
        roomBytesPerRoom: 128 * 1024 * 1024,
        roomBytesPerIp: 128 * 1024 * 1024,
      },
    });
    const room = `${r.url}/api/rooms/bigroom01/messages`;
    const big = fakeSealed(98_304); // 131 072 base64 characters, the ciphertext cap
    for (let i = 0; i < 500; i++)
      expect((await postJson(room, { sender: 'a', ...big, nonce: fakeSealed(0).nonce })).status).toBe(200);

    // A reader that reads gets the whole list, well-formed, as one JSON document.
    const full = await httpCall(r, 'GET', '/api/rooms/bigroom01/transcript?limit=500', { from: '127.0.0.9' });
    expect(full.status).toBe(200);
    expect(full.headers['content-length']).toBeUndefined();
    const doc = JSON.parse(full.body) as {
      messages: { seq: number; ciphertext: string }[];
      last_seq: number;
      count: number;
      exists: boolean;
    };
    expect(doc.count).toBe(500);
    expect(doc.messages.length).toBe(500);
    expect(doc.exists).toBe(true);
    expect(doc.last_seq).toBe(doc.messages[499]!.seq);
    expect(doc.messages[0]!.ciphertext).toBe(big.ciphertext);
    const after = doc.messages[249]!.seq;
    const part = JSON.parse(
      (
        await httpCall(r, 'GET', `/api/rooms/bigroom01/transcript?after=${after}&limit=3`, {
          from: '127.0.0.9',
        })
      ).body,
    );
    expect(part.messages.map((m: { seq: number }) => m.seq)).toEqual(
      doc.messages.slice(250, 253).map((m) => m.seq),
    );
    expect(part.count).toBe(3);
    // /wait with a backlog answers at once, streamed the same way, in the reference's shape.
    const waited = JSON.parse(
      (
        await httpCall(r, 'GET', `/api/rooms/bigroom01/wait?after=${doc.messages[479]!.seq}`, {
          from: '127.0.0.9',
        })
      ).body,
    );
    expect(Object.keys(waited)).toEqual(['messages', 'last_seq']);
    expect(waited.messages.map((m: { seq: number }) => m.seq)).toEqual(
      doc.messages.slice(480).map((m) => m.seq),
    );
    expect(waited.last_seq).toBe(doc.last_seq);

    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    // Five addresses, four sockets each: the per-address in-flight cap (4) admits all twenty.
    const ask = 'GET /api/rooms/bigroom01/transcript?limit=500 HTTP/1.1\r\nHost: x\r\n\r\n';
    const sockets: (Socket & { got: string; gone: boolean })[] = [];
    for (let i = 0; i < 20; i++) {
      const s = await opened(r, ask, `127.0.0.${10 + (i % 5)}`);
      s.pause();
      sockets.push(s);
    }
    // A fifth answer in flight to the same address is refused.
    const fifth = await httpCall(r, 'GET', '/api/rooms/bigroom01/transcript?limit=500', {
      from: '127.0.0.10',
    });
    expect(fifth.status).toBe(429);
    for (let i = 0; i < 5; i++) {
      const b = await bystander(r);
      expect(b.status).toBe(200);
      expect(b.ms).toBeLessThan(BYSTANDER_BOUND_MS);
    }
    const grown = process.memoryUsage().rss - rss0;
    expect(grown).toBeLessThan(256 * 1024 * 1024);
    // Nobody read: the stalled answers are cut off, and their address may ask again.
    let freed = false;
    for (let i = 0; i < 20 && !freed; i++) {
      await new Promise((res) => setTimeout(res, 1000));
      freed =
        (await httpCall(r, 'GET', '/api/rooms/bigroom01/transcript?limit=1', { from: '127.0.0.11' }))
          .status === 200;
    }
    expect(freed).toBe(true);
    for (const s of sockets) s.destroy();
    const b = await bystander(r);
    expect(b.status).toBe(200);
    // The transcript bucket: 30 per address, then 429 with Retry-After.
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++)
      statuses.push(
        (await httpCall(r, 'GET', '/api/rooms/bigroom01/transcript?limit=1', { from: '127.0.0.20' })).status,
      );
    expect(statuses.slice(0, 30).every((s) => s === 200)).toBe(true);
    expect(statuses).toEqual([...Array(30).fill(200), 429]);
  }, 120_000);

  it('every request takes from the per-address request bucket, whatever its route', async () => {
    const r = await relay({ limits: { requestBucketCapacity: 5, requestBucketRefillPerS: 0.001 } });
    const got: number[] = [];
    for (let i = 0; i < 6; i++)
      got.push((await httpCall(r, 'GET', i % 2 ? '/api/health' : '/nowhere', { from: '127.0.0.30' })).status);
    expect(got.slice(0, 5).every((s) => s !== 429)).toBe(true);
    expect(got[5]).toBe(429);
    const ws = new WsClient(`${r.url.replace('http', 'ws')}/api/rooms/abcdefgh/ws`, {
      localAddress: '127.0.0.30',
    });
    await expect(ws.opened).rejects.toThrow(/429/);
    expect((await bystander(r, '127.0.0.31')).status).toBe(200);
  });

  it('directory searches, which scan every profile, have their own per-address bucket', async () => {
    const r = await relay({ limits: { directoryBucketCapacity: 3, directoryBucketRefillPerS: 0.001 } });
    const got: number[] = [];
    for (const path of [
      '/api/agents',
      '/api/agents?q=x',
      '/agents.json',
      '/.well-known/bot2bot-agents',
      '/api/agents/matches?handle=nobody',
    ]) {
      got.push((await httpCall(r, 'GET', path, { from: '127.0.0.32' })).status);
    }
    expect(got).toEqual([200, 200, 200, 429, 429]);
    expect((await httpCall(r, 'GET', '/api/agents', { from: '127.0.0.33' })).status).toBe(200);
    expect((await httpCall(r, 'GET', '/api/agents/nobody', { from: '127.0.0.32' })).status).toBe(404);
  });
});

describe('timeouts and the per-address connection cap', () => {
  it('one address holding many slow bodies is capped and timed out; another address is served', async () => {
    const r = await relay({ limits: { connectionsPerIp: 20, bodyIdleTimeoutMs: 1500 } });
    const slow =
      'POST /api/rooms/slowroom1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"cip\r\n';
    const sockets: (Socket & { got: string; gone: boolean })[] = [];
    for (let i = 0; i < 60; i++) sockets.push(await opened(r, slow, '127.0.0.40'));
    // Forty over the cap are answered 503 and closed at once.
    expect(await until(() => sockets.filter((s) => s.gone).length >= 40, 3000)).toBe(true);
    expect(sockets.filter((s) => status(s.got) === 503).length).toBe(40);
    // Meanwhile another address is served.
    const b = await bystander(r, '127.0.0.41');
    expect(b.status).toBe(200);
    expect(b.ms).toBeLessThan(BYSTANDER_BOUND_MS);
    expect((await postJson(`${r.url}/api/rooms/slowroom1/messages`, fakeSealed())).status).toBe(200);
    // The twenty admitted bodies went silent: each is answered 408 and closed.
    expect(await until(() => sockets.every((s) => s.gone), 8000)).toBe(true);
    expect(sockets.filter((s) => status(s.got) === 408).length).toBe(20);
    // Their slots are free again.
    expect((await bystander(r, '127.0.0.40')).status).toBe(200);
  }, 30_000);

  it('the request timeout bounds receiving a request, not holding a long-poll', async () => {
    const r = await relay({ limits: { requestTimeoutMs: 1000, headersTimeoutMs: 500 } });
    // Held four times the request timeout, then answered by its own timeout (not cut off).
    const a = await httpCall(r, 'GET', '/api/rooms/longpoll1/wait?timeout=4', { from: '127.0.0.52' });
    expect(a.status).toBe(200);
    expect(JSON.parse(a.body)).toMatchObject({ messages: [], last_seq: 0, exists: false });
  }, 15_000);

  it('headers that never finish are cut off', async () => {
    const r = await relay({ limits: { headersTimeoutMs: 1000 } });
    const s = await opened(r, 'GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: a', '127.0.0.50');
    expect(await until(() => s.gone, 8000)).toBe(true);
    expect(status(s.got)).toBe(408);
    expect((await bystander(r, '127.0.0.51')).status).toBe(200);
  }, 15_000);
});

describe('client addresses', () => {
  const tight = {
    rateBucketCapacity: 3,
    rateBucketRefillPerS: 0.001,
    globalBucketCapacity: 1000,
    globalBucketRefillPerS: 0.001,
  };
  const post = (r: TestRelay, room: string, headers: Record<string, string>) =>
    httpCall(r, 'POST', `/api/rooms/${room}/messages`, { headers, body: JSON.stringify(fakeSealed()) }).then(
      (a) => a.status,
    );

  it('groups IPv6 addresses by /64 and IPv4-mapped addresses as IPv4', () => {
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe(addressKey('2001:db8:1:2::9'));
    expect(addressKey('2001:db8:1:2::9')).not.toBe(addressKey('2001:db8:1:3::9'));
    expect(addressKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(addressKey('10.1.2.3')).toBe('10.1.2.3');
  });

  it('ignores X-Forwarded-For and CF-Connecting-IP from peers that are not trusted proxies', async () => {
    const none = await relay({ limits: tight });
    const got: number[] = [];
    for (let i = 0; i < 4; i++)
      got.push(
        await post(none, 'spoofed1', {
          'X-Forwarded-For': `198.51.100.${i}`,
          'CF-Connecting-IP': `203.0.113.${i}`,
        }),
      );
    expect(got).toEqual([200, 200, 200, 429]);
    // Trusting a range the peer is not in, CF-Connecting-IP enabled: still the peer's address.
    const range = await relay({ limits: tight, trustProxy: '10.0.0.0/8', trustCfConnectingIp: true });
    const got2: number[] = [];
    for (let i = 0; i < 4; i++)
      got2.push(
        await post(range, 'spoofed2', {
          'X-Forwarded-For': `198.51.100.${i}`,
          'CF-Connecting-IP': `203.0.113.${i}`,
        }),
      );
    expect(got2).toEqual([200, 200, 200, 429]);
  });

  it('believes a trusted proxy (address or range), counts IPv6 clients by /64, and reads CF-Connecting-IP only when configured', async () => {
    const r = await relay({ limits: tight, trustProxy: '127.0.0.0/8' });
    const xff = (a: string, extra: Record<string, string> = {}) =>
      post(r, 'v6room01', { 'X-Forwarded-For': a, ...extra });
    expect(await xff('2001:db8:1:2::a')).toBe(200);
    expect(await xff('2001:db8:1:2::b')).toBe(200);
    expect(await xff('2001:db8:1:2:ffff:1:2:3')).toBe(200);
    // Same /64, new address: the same bucket, now empty.
    expect(await xff('2001:db8:1:2::c')).toBe(429);
    // CF-Connecting-IP is not configured here: a fresh one changes nothing.
    expect(await xff('2001:db8:1:2::d', { 'CF-Connecting-IP': '2001:db8:ff::1' })).toBe(429);
    // Another /64 is another client; so is a client behind a spoofed left-hand entry.
    expect(await xff('2001:db8:1:3::1')).toBe(200);
    expect(await xff('2001:db8:1:2::a, 192.0.2.7')).toBe(200);

    const cf = await relay({ limits: tight, trustProxy: '127.0.0.1', trustCfConnectingIp: true });
    const viaCf = (a: string) =>
      post(cf, 'cfroom01', { 'CF-Connecting-IP': a, 'X-Forwarded-For': '192.0.2.1' });
    expect([
      await viaCf('192.0.2.50'),
      await viaCf('192.0.2.50'),
      await viaCf('192.0.2.50'),
      await viaCf('192.0.2.50'),
    ]).toEqual([200, 200, 200, 429]);
    expect(await viaCf('192.0.2.51')).toBe(200);
  });

  it('reads trusted proxies, CF-Connecting-IP and origins from the environment, and refuses typos at start', () => {
    const c = configFromEnv({
      TRUST_PROXY: '10.0.0.0/8, fd00::/8,loopback',
      TRUST_CF_CONNECTING_IP: '1',
      ALLOWED_ORIGINS: 'https://a.example, http://127.0.0.1:5173',
      CONN_CAP_PER_IP: '64',
    });
    expect(c.trustProxy).toBe('10.0.0.0/8, fd00::/8,loopback');
    expect(c.trustCfConnectingIp).toBe(true);
    expect(c.allowedOrigins).toEqual(['https://a.example', 'http://127.0.0.1:5173']);
    expect(c.limits.connectionsPerIp).toBe(64);
    expect(configFromEnv({}).trustCfConnectingIp).toBe(false);
    expect(() => configFromEnv({ TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY/);
    expect(() => configFromEnv({ TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY/);
    expect(() => configFromEnv({ ALLOWED_ORIGINS: 'https://a.example/path' })).toThrow(/ALLOWED_ORIGINS/);
  });

  it('TRUST_PROXY=all believes the peer for one hop: the last X-Forwarded-For entry', async () => {
    const r = await relay({ limits: tight, trustProxy: 'all' });
    const got: number[] = [];
    for (let i = 0; i < 4; i++)
      got.push(await post(r, 'allroom1', { 'X-Forwarded-For': `198.51.100.${i}, 192.0.2.9` }));
    expect(got).toEqual([200, 200, 200, 429]);
  });
});

describe('WebSocket origins', () => {
  const wsUrl = (r: TestRelay) => `${r.url.replace('http', 'ws')}/api/rooms/origin001/ws`;
  const tryOrigin = async (r: TestRelay, headers: Record<string, string>): Promise<'open' | number> => {
    const c = new WsClient(wsUrl(r), { headers });
    try {
      await c.opened;
      await c.close();
      return 'open';
    } catch (e) {
      return Number(/(\d{3})/.exec(String(e))?.[1] ?? 0);
    }
  };

  it('by default admits agents and pages on loopback, and refuses a rebound hostname whose Host matches its Origin', async () => {
    const r = await relay();
    expect(await tryOrigin(r, {})).toBe('open');
    expect(await tryOrigin(r, { Origin: r.url })).toBe('open');
    expect(await tryOrigin(r, { Origin: `http://localhost:${r.port}` })).toBe('open');
    expect(
      await tryOrigin(r, { Origin: `http://evil.example:${r.port}`, Host: `evil.example:${r.port}` }),
    ).toBe(403);
    expect(await tryOrigin(r, { Origin: 'null' })).toBe(403);
    expect((await bystander(r)).status).toBe(200);
  });

  it('admits only the configured origins when PUBLIC_BASE_URL or ALLOWED_ORIGINS is set', async () => {
    const pub = await relay({ publicBaseUrl: 'https://relay.example/' });
    expect(await tryOrigin(pub, { Origin: 'https://relay.example' })).toBe('open');
    expect(await tryOrigin(pub, { Origin: pub.url })).toBe(403);
    expect(await tryOrigin(pub, {})).toBe('open');
    const list = await relay({
      allowedOrigins: ['https://a.example', 'http://127.0.0.1:5173'],
      publicBaseUrl: 'https://relay.example',
    });
    expect(await tryOrigin(list, { Origin: 'https://a.example' })).toBe('open');
    expect(await tryOrigin(list, { Origin: 'http://127.0.0.1:5173' })).toBe('open');
    expect(await tryOrigin(list, { Origin: 'https://relay.example' })).toBe(403);
  });
});
