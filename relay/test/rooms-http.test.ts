import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERR } from '../../protocol/index.js';
import { fakeSealed, getJson, postJson } from '../../test-support/clients.js';
import { startRelay, type TestRelay } from '../../test-support/relay.js';

let r: TestRelay;
beforeAll(async () => {
  r = await startRelay();
});
afterAll(() => r.close());

const room = (id: string) => `${r.url}/api/rooms/${id}`;

describe('POST /messages', () => {
  it('stamps seq from the clock, +1 per message, with uuid ids and ms timestamps', async () => {
    const before = Date.now();
    const a = await postJson(`${room('seqroom1')}/messages`, { sender: 'alice', ...fakeSealed() });
    const b = await postJson(`${room('seqroom1')}/messages`, { sender: 'alice', ...fakeSealed() });
    expect(a.status).toBe(200);
    expect(a.json).toMatchObject({ ok: true });
    expect(a.json.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.json.seq).toBeGreaterThanOrEqual(before);
    expect(b.json.seq).toBe(a.json.seq + 1);
    const t = await getJson(`${room('seqroom1')}/transcript`);
    expect(t.json.messages[0].ts).toBeGreaterThanOrEqual(before);
    expect(t.json.messages[0]).not.toHaveProperty('_bytes');
  });

  it('keeps only known fields, defaults the sender to "agent", and passes reply_to and ttl_ms', async () => {
    const p = await postJson(`${room('fields01')}/messages`, {
      ...fakeSealed(),
      reply_to: 'abcdefgh-1',
      ttl_ms: 60_000,
      evil: 'x',
      type: 'message',
    });
    expect(p.status).toBe(200);
    const t = await getJson(`${room('fields01')}/transcript`);
    const m = t.json.messages[0];
    expect(m.sender).toBe('agent');
    expect(m.sender_verified).toBe(false);
    expect(m.reply_to).toBe('abcdefgh-1');
    expect(m.ttl_ms).toBe(60_000);
    expect(m).not.toHaveProperty('evil');
    expect(Object.keys(m).sort()).toEqual([
      'ciphertext',
      'id',
      'nonce',
      'reply_to',
      'sender',
      'sender_verified',
      'seq',
      'ts',
      'ttl_ms',
    ]);
  });

  const bad: Array<[string, unknown]> = [
    ['missing ciphertext', { nonce: fakeSealed().nonce }],
    ['unpadded ciphertext', { ciphertext: 'QQ', nonce: fakeSealed().nonce }],
    ['non-canonical ciphertext', { ciphertext: 'QR==', nonce: fakeSealed().nonce }],
    ['whitespace in ciphertext', { ciphertext: 'AA AA', nonce: fakeSealed().nonce }],
    ['23-byte nonce', { ciphertext: 'AAAA', nonce: Buffer.alloc(23).toString('base64') }],
    ['sender too long', { ...fakeSealed(), sender: 'x'.repeat(65) }],
    ['sender not a string', { ...fakeSealed(), sender: 5 }],
    ['reply_to too short', { ...fakeSealed(), reply_to: 'abc' }],
    ['ttl below 30 s', { ...fakeSealed(), ttl_ms: 29_999 }],
    ['ttl above 366 d', { ...fakeSealed(), ttl_ms: 31_622_400_001 }],
    ['ttl as string', { ...fakeSealed(), ttl_ms: '60000' }],
    [
      'ciphertext over 128 KiB',
      { ciphertext: Buffer.alloc(98_400).toString('base64'), nonce: fakeSealed().nonce },
    ],
  ];
  for (const [what, body] of bad) {
    it(`400 bad message: ${what}`, async () => {
      const p = await postJson(`${room('badinput')}/messages`, body);
      expect(p.status).toBe(400);
      expect(p.json).toEqual({ error: ERR.badMessage });
    });
  }

  it('JSON errors for malformed JSON, oversize bodies and other media types', async () => {
    const m = await postJson(`${room('badjson1')}/messages`, '{"ciphertext":');
    expect(m.status).toBe(400);
    expect(m.json).toEqual({ error: ERR.invalidJson });
    const big = await postJson(`${room('bigbody1')}/messages`, {
      ...fakeSealed(),
      pad: 'x'.repeat(200 * 1024),
    });
    expect(big.status).toBe(413);
    expect(big.json).toEqual({ error: ERR.bodyTooLarge });
    const xml = await fetch(`${room('xmlbody1')}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<a/>',
    });
    expect(xml.status).toBe(415);
    expect(await xml.json()).toEqual({ error: ERR.unsupportedMediaType });
  });

  it('400 bad roomId on every room route', async () => {
    for (const path of [
      '/api/rooms/abc/messages',
      '/api/rooms/a%20bcd/status',
      '/api/rooms/abc/wait',
      '/api/rooms/abc/transcript',
      '/api/rooms/abc/events',
    ]) {
      const res = await fetch(
        r.url + path,
        path.endsWith('messages')
          ? { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }
          : {},
      );
      expect(res.status, path).toBe(400);
      expect(await res.json()).toEqual({ error: ERR.badRoomId });
    }
  });
});

describe('reads', () => {
  it('missing rooms: transcript/status answer at once, wait holds, and none of them creates the room', async () => {
    const t0 = Date.now();
    expect((await getJson(`${room('ghost001')}/wait?timeout=1`)).json).toEqual({
      messages: [],
      last_seq: 0,
      exists: false,
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect((await getJson(`${room('ghost001')}/transcript`)).json).toEqual({
      messages: [],
      last_seq: 0,
      exists: false,
    });
    expect((await getJson(`${room('ghost001')}/status`)).json).toEqual({ exists: false, roomId: 'ghost001' });
    const l = await postJson(`${room('ghost001')}/listening`, { name: 'bot' });
    expect(l.status).toBe(404);
    expect(l.json).toEqual({ error: ERR.noSuchRoom });
  });

  it('transcript pages with after and limit, and reports count', async () => {
    const seqs: number[] = [];
    for (let i = 0; i < 5; i++)
      seqs.push((await postJson(`${room('pages001')}/messages`, fakeSealed())).json.seq);
    const t = await getJson(`${room('pages001')}/transcript?after=${seqs[1]}&limit=2`);
    expect(t.json.messages.map((m: { seq: number }) => m.seq)).toEqual([seqs[2], seqs[3]]);
    expect(t.json).toMatchObject({ count: 2, exists: true, last_seq: seqs[4] });
    const clamped = await getJson(`${room('pages001')}/transcript?limit=0`);
    expect(clamped.json.count).toBe(1);
  });

  it('wait answers at once when newer messages exist, else parks until the next post', async () => {
    const first = (await postJson(`${room('waiting1')}/messages`, fakeSealed())).json.seq;
    const now = await getJson(`${room('waiting1')}/wait?after=0`);
    expect(now.json.messages).toHaveLength(1);
    const parked = getJson(`${room('waiting1')}/wait?after=${first}&timeout=10`);
    await new Promise((res) => setTimeout(res, 200));
    const second = (await postJson(`${room('waiting1')}/messages`, fakeSealed())).json.seq;
    const woke = await parked;
    expect(woke.json.messages.map((m: { seq: number; type: string }) => [m.seq, m.type])).toEqual([
      [second, 'message'],
    ]);
    expect(woke.json.last_seq).toBe(second);
  });

  it('a wait on a missing room wakes when the first post creates it', async () => {
    const parked = getJson(`${room('ghost002')}/wait?after=0&timeout=10`);
    await new Promise((res) => setTimeout(res, 200));
    const seq = (await postJson(`${room('ghost002')}/messages`, fakeSealed())).json.seq;
    expect((await parked).json.messages.map((m: { seq: number }) => m.seq)).toEqual([seq]);
  });

  it('wait times out with an empty list and the room last_seq', async () => {
    const seq = (await postJson(`${room('timeout1')}/messages`, fakeSealed())).json.seq;
    const t0 = Date.now();
    const w = await getJson(`${room('timeout1')}/wait?after=${seq}&timeout=1`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(w.json).toEqual({ messages: [], last_seq: seq });
  });

  it('status reports counts, seqs, ages and the lock', async () => {
    const seq = (await postJson(`${room('status01')}/messages`, fakeSealed())).json.seq;
    const s = await getJson(`${room('status01')}/status`);
    expect(s.json).toMatchObject({
      exists: true,
      roomId: 'status01',
      participants: 0,
      recent_count: 1,
      last_seq: seq,
      signed_only: false,
    });
    expect(s.json.age_seconds).toBeGreaterThanOrEqual(0);
    expect(s.json.idle_seconds).toBeGreaterThanOrEqual(0);
  });

  it('listening validates the name and stores the key laxly', async () => {
    await postJson(`${room('listen01')}/messages`, fakeSealed());
    expect((await postJson(`${room('listen01')}/listening`, { name: 'has space' })).json).toEqual({
      error: ERR.badName,
    });
    expect(
      (await postJson(`${room('listen01')}/listening`, { name: 'bot-1', box_pub: 'not-a-key' })).json,
    ).toEqual({ ok: true });
  });
});

describe('the HTTP surface', () => {
  it('unknown routes and methods are JSON errors, with security headers', async () => {
    const nf = await fetch(`${r.url}/api/nope`);
    expect(nf.status).toBe(404);
    expect(await nf.json()).toEqual({ error: ERR.notFound });
    for (const h of [
      'x-content-type-options',
      'referrer-policy',
      'x-frame-options',
      'content-security-policy',
    ])
      expect(nf.headers.get(h), h).toBeTruthy();
    // Data is never rendered: API answers get the policy that allows nothing.
    expect(nf.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    const m = await fetch(`${room('methods1')}/messages`, { method: 'GET' });
    expect(m.status).toBe(405);
    expect(await m.json()).toEqual({ error: ERR.methodNotAllowed });
    expect(m.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('streams and requests malformed below HTTP carry the security headers too', async () => {
    const sse = await fetch(`${room('headers1')}/events`);
    expect(sse.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(sse.headers.get('x-frame-options')).toBe('DENY');
    await sse.body?.cancel();
    const raw = await new Promise<string>((resolve) => {
      const sock = connect(r.port, '127.0.0.1', () => sock.write('GARBAGE / HTTP/1.1\r\n\r\n'));
      let out = '';
      sock.on('data', (d) => (out += d));
      sock.on('close', () => resolve(out));
    });
    expect(raw).toMatch(/^HTTP\/1.1 400/);
    expect(raw).toContain('X-Content-Type-Options: nosniff');
    expect(raw).toContain('{"error":"malformed request"}');
  });

  it('health', async () => {
    const h = await getJson(`${r.url}/api/health`);
    expect(h.json).toMatchObject({ ok: true });
    expect(typeof h.json.rooms).toBe('number');
  });
});
