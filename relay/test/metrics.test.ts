import { afterEach, describe, expect, it } from 'vitest';
import { SseClient, WsClient, fakeSealed, postJson, requestJson } from '../../test-support/clients.js';
import { startRelay, type TestRelay } from '../../test-support/relay.js';
import { configFromEnv } from '../config.js';
import { fixedIdentity, register, sealedDm, signed } from './identity-helpers.js';

let r: TestRelay | null = null;
afterEach(async () => {
  await r?.close();
  r = null;
});

const TOKEN = 'metrics-test-token-0123456789';
const auth = { Authorization: `Bearer ${TOKEN}` };
const scrape = async (url: string, headers: Record<string, string> = auth) => {
  const res = await fetch(url, { headers });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
};

/** The value of one sample line (`name{labels} value`), 0 when absent. */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('metrics', () => {
  it('are off by default: /metrics is an unknown path and no listener is opened', async () => {
    r = await startRelay();
    expect((await scrape(`${r.url}/metrics`, {})).status).toBe(404);
    expect((await scrape(`${r.url}/metrics`)).status).toBe(404);
    expect(r.relay.metricsUrl).toBe('');
    expect(r.relay.deps.metrics ?? null).toBeNull();
    const env = configFromEnv({});
    expect([env.metricsToken, env.metricsPort]).toEqual([null, null]);
  });

  it('with METRICS_TOKEN, answer only that bearer token', async () => {
    r = await startRelay({ metricsToken: TOKEN });
    expect((await scrape(`${r.url}/metrics`, {})).status).toBe(401);
    expect((await scrape(`${r.url}/metrics`, { Authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await scrape(`${r.url}/metrics`, { Authorization: TOKEN })).status).toBe(401);
    const ok = await scrape(`${r.url}/metrics`);
    expect(ok.status).toBe(200);
    expect(ok.type).toContain('text/plain');
    expect(ok.text).toContain('# TYPE bot2bot_posts_total counter');
    expect(ok.text).toContain('process_cpu_seconds_total');
    // Not in the public API description.
    expect((await requestJson('GET', `${r.url}/api/openapi.json`)).text).not.toContain('/metrics');
  });

  it('with METRICS_PORT, serve them on a separate loopback listener and not on the public port', async () => {
    r = await startRelay({ metricsPort: 0 });
    expect(r.relay.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await scrape(`${r.relay.metricsUrl}/metrics`, {})).status).toBe(200);
    expect((await scrape(`${r.relay.metricsUrl}/other`, {})).status).toBe(404);
    expect((await scrape(`${r.url}/metrics`)).status).toBe(404);
    const env = configFromEnv({ METRICS_PORT: '9464', METRICS_TOKEN: 't' });
    expect([env.metricsPort, env.metricsHost, env.metricsToken]).toEqual([9464, '127.0.0.1', 't']);
    expect(() => configFromEnv({ METRICS_PORT: 'x' })).toThrow(/METRICS_PORT/);
  });

  it('a separate listener still wants the token when one is set', async () => {
    r = await startRelay({ metricsPort: 0, metricsToken: TOKEN });
    expect((await scrape(`${r.relay.metricsUrl}/metrics`, {})).status).toBe(401);
    expect((await scrape(`${r.relay.metricsUrl}/metrics`)).status).toBe(200);
  });

  it('count traffic and never name a room, label, handle or IP', async () => {
    r = await startRelay({ metricsToken: TOKEN, trustProxy: 'all' });
    const base = r.url;
    const before = (await scrape(`${base}/metrics`)).text;
    const rooms = ['metricsroomalpha', 'metricsroombeta7'];
    const labels = ['sender-label-zebra', 'sender-label-quokka'];
    const handle = 'metrics-handle-okapi';
    const ips = ['203.0.113.77', '198.51.100.23'];
    const xff = (i: number) => ({ 'X-Forwarded-For': ips[i % ips.length]! });
    const who = fixedIdentity(handle, 77);
    expect((await register(base, who)).status).toBe(201);

    const sse = new SseClient(`${base}/api/rooms/${rooms[0]}/events?name=${labels[0]}`);
    expect(await sse.status).toBe(200);
    const ws = new WsClient(`${base.replace('http', 'ws')}/api/rooms/${rooms[1]}/ws`, { headers: xff(1) });
    await ws.opened;
    await ws.next((f) => f.type === 'ready');
    await sse.next((f) => f.type === 'ready');
    const waiting = requestJson(
      'GET',
      `${base}/api/rooms/${rooms[0]}/wait?after=0&timeout=10`,
      undefined,
      xff(0),
    );
    // Parked before the first post, so that post reaches it as a delivery (not as a read).
    for (
      let i = 0;
      i < 200 && sample((await scrape(`${base}/metrics`)).text, 'bot2bot_longpoll_waiters') !== 1;
      i++
    )
      await new Promise((res) => setTimeout(res, 20));
    expect(sample((await scrape(`${base}/metrics`)).text, 'bot2bot_longpoll_waiters')).toBe(1);

    for (let i = 0; i < 4; i++) {
      const res = await postJson(
        `${base}/api/rooms/${rooms[i % 2]}/messages`,
        { sender: labels[i % 2], ...fakeSealed() },
        xff(i),
      );
      expect(res.status).toBe(200);
    }
    ws.send({ sender: labels[1], ...fakeSealed() });
    await ws.count('message', 3);
    await sse.count('message', 2);
    expect((await waiting).status).toBe(200);
    expect((await postJson(`${base}/api/dm/${handle}`, sealedDm(), xff(0))).status).toBe(200);
    expect(
      (await signed(base, who, 'POST', `/api/rooms/${rooms[0]}/claim?timeout=1`, Date.now(), { handle }))
        .status,
    ).toBe(200);
    // Refusals: a bad room id, an unknown path, an unknown handle, a bad frame.
    expect(
      (await postJson(`${base}/api/rooms/BAD!room/messages`, { sender: labels[0], ...fakeSealed() }, xff(0)))
        .status,
    ).toBe(400);
    expect((await requestJson('GET', `${base}/api/nothing-${rooms[0]}`)).status).toBe(404);
    expect((await postJson(`${base}/api/dm/nobody-${handle}`, sealedDm(), xff(1))).status).toBe(404);
    ws.send('not json');
    await ws.next((f) => f.type === 'error');

    const after = await scrape(`${base}/metrics`);
    expect(after.status).toBe(200);
    for (const secret of [...rooms, ...labels, handle, ...ips, `nobody-${handle}`])
      expect(after.text).not.toContain(secret);
    // No address at all, not even the loopback peer's.
    expect(after.text).not.toMatch(/\b\d{1,3}(\.\d{1,3}){3}\b|::1|::ffff:/);
    const moved = (name: string, labels = '') =>
      sample(after.text, name, labels) - sample(before, name, labels);
    expect(moved('bot2bot_posts_total', 'transport="http"')).toBe(4);
    expect(moved('bot2bot_posts_total', 'transport="ws"')).toBe(1);
    // 2 posts to room 0 reach the SSE stream and the parked long-poll (first post only); 3 reach the WebSocket.
    expect(moved('bot2bot_deliveries_total')).toBe(6);
    expect(moved('bot2bot_dms_total')).toBe(1);
    expect(moved('bot2bot_claims_total', 'outcome="claimed"')).toBe(1);
    expect(moved('bot2bot_rejects_total', 'transport="http",status="400",reason="badRoomId"')).toBe(1);
    expect(moved('bot2bot_rejects_total', 'transport="http",status="404",reason="notFound"')).toBe(1);
    expect(moved('bot2bot_rejects_total', 'transport="http",status="404",reason="noSuchHandle"')).toBe(1);
    expect(moved('bot2bot_rejects_total', 'transport="ws",status="400",reason="invalidJson"')).toBe(1);
    expect(sample(after.text, 'bot2bot_streams', 'transport="sse"')).toBe(1);
    expect(sample(after.text, 'bot2bot_streams', 'transport="ws"')).toBe(1);
    expect(sample(after.text, 'bot2bot_rooms')).toBeGreaterThanOrEqual(2);
    expect(
      moved(
        'bot2bot_http_request_duration_seconds_count',
        'method="POST",route="/api/rooms/:roomId/messages"',
      ),
    ).toBe(5);
    sse.close();
    await ws.close();
  });
});
