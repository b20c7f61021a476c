import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERR } from '../../protocol/index.js';
import { SseClient, WsClient, fakeSealed, postJson } from '../../test-support/clients.js';
import { startRelay, type TestRelay } from '../../test-support/relay.js';

let r: TestRelay;
beforeAll(async () => {
  r = await startRelay();
});
afterAll(() => r.close());

const http = (id: string) => `${r.url}/api/rooms/${id}`;
const ws = (id: string, q = '') => `${r.url.replace('http', 'ws')}/api/rooms/${id}/ws${q}`;
const BOX = Buffer.alloc(32, 3).toString('base64url');

describe('SSE', () => {
  it('replays, then ready with last_seq, then presence; frames are data-only JSON', async () => {
    const a = (await postJson(`${http('sseroom1')}/messages`, { sender: 'a', ...fakeSealed() })).json.seq;
    const b = (await postJson(`${http('sseroom1')}/messages`, { sender: 'a', ...fakeSealed() })).json.seq;
    const c = new SseClient(`${http('sseroom1')}/events?after=${a}&name=watcher&box_pub=${BOX}`);
    expect(await c.status).toBe(200);
    await c.next((f) => f.type === 'presence');
    expect(c.frames.map((f) => f.type)).toEqual(['message', 'ready', 'presence']);
    expect(c.frames[0]!.seq).toBe(b);
    expect(c.frames[1]).toMatchObject({
      type: 'ready',
      roomId: 'sseroom1',
      size: 1,
      last_seq: b,
      participants: [],
    });
    expect(c.frames[2]).toMatchObject({
      size: 1,
      names: ['watcher'],
      participants: [{ name: 'watcher', box_pub: BOX }],
    });
    const live = (await postJson(`${http('sseroom1')}/messages`, fakeSealed())).json.seq;
    expect((await c.next((f) => f.type === 'message' && f.seq === live)).sender).toBe('agent');
    c.close();
  });

  it('flags a gap when after is older than the retained buffer', async () => {
    const first = (await postJson(`${http('ssegap01')}/messages`, fakeSealed())).json.seq;
    const c = new SseClient(`${http('ssegap01')}/events?after=${first - 1000}`);
    const ready = await c.next((f) => f.type === 'ready');
    expect(ready).toMatchObject({ gap: true, oldest_seq: first });
    c.close();
    const d = new SseClient(`${http('ssegap01')}/events?after=${first - 1}`);
    expect(await d.next((f) => f.type === 'ready')).not.toHaveProperty('gap');
    d.close();
  });

  it('has the stream headers', async () => {
    const res = await fetch(`${http('sseheads')}/events`);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    await res.body?.cancel();
  });
});

describe('WebSocket', () => {
  it('replays everything without after, resumes with after, and sends last_seq in ready', async () => {
    const s1 = (await postJson(`${http('wsroom01')}/messages`, fakeSealed())).json.seq;
    const s2 = (await postJson(`${http('wsroom01')}/messages`, fakeSealed())).json.seq;
    const all = new WsClient(ws('wsroom01'));
    const ready = await all.next((f) => f.type === 'ready');
    expect(all.messages().map((m) => m.seq)).toEqual([s1, s2]);
    expect(ready.last_seq).toBe(s2);
    const resumed = new WsClient(ws('wsroom01', `?after=${s1}`));
    await resumed.next((f) => f.type === 'ready');
    expect(resumed.messages().map((m) => m.seq)).toEqual([s2]);
    await all.close();
    await resumed.close();
  });

  it('hello declares presence and renames; box_pub absent keeps, null clears', async () => {
    const a = new WsClient(ws('wshello1'));
    await a.next((f) => f.type === 'ready');
    a.send({ type: 'hello', name: 'alice', box_pub: BOX });
    await a.next((f) => f.type === 'presence' && (f.names as string[]).includes('alice'));
    a.send({ type: 'hello', name: 'alicia' });
    expect(await a.next((f) => f.type === 'rename')).toEqual({ type: 'rename', from: 'alice', to: 'alicia' });
    const kept = await a.next((f) => f.type === 'presence' && (f.names as string[]).includes('alicia'));
    expect(kept.participants).toEqual([expect.objectContaining({ name: 'alicia', box_pub: BOX })]);
    a.send({ type: 'hello', name: 'alicia', box_pub: null });
    await a.next(
      (f) =>
        f.type === 'presence' && (f.participants as Array<{ box_pub?: string }>)[0]?.box_pub === undefined,
    );
    a.send({ type: 'hello', name: 'bad name' }); // ignored entirely
    a.send({ type: 'listening' });
    await new Promise((res) => setTimeout(res, 100));
    expect(a.frames.filter((f) => f.type === 'rename')).toHaveLength(1);
    await a.close();
  });

  it('hello client kind shows in presence, unless the same name is also present as another kind', async () => {
    type P = Array<{ name: string; client?: string }>;
    const entry = (f: Record<string, unknown>, name: string) =>
      (f.participants as P).find((p) => p.name === name);
    const human = new WsClient(ws('wsclient1'));
    await human.next((f) => f.type === 'ready');
    human.send({ type: 'hello', name: 'human', client: 'web' });
    const web = await human.next((f) => f.type === 'presence' && entry(f, 'human') !== undefined);
    expect(entry(web, 'human')).toEqual(expect.objectContaining({ name: 'human', client: 'web' }));

    const odd = new WsClient(ws('wsclient1'));
    await odd.opened;
    odd.send({ type: 'hello', name: 'odd', client: 'Not <a> kind' }); // ignored: not a short lowercase word
    const listed = await human.next((f) => f.type === 'presence' && entry(f, 'odd') !== undefined);
    expect(entry(listed, 'odd')!.client).toBeUndefined();

    // An agent streaming under the same name: the name no longer vouches for a web client.
    const agent = new SseClient(`${http('wsclient1')}/events?name=human`);
    const mixed = await human.next((f) => f.type === 'presence' && (f.size as number) === 3);
    expect(entry(mixed, 'human')!.client).toBeUndefined();
    agent.close();
    const alone = await human.next((f) => f.type === 'presence' && (f.size as number) === 2);
    expect(entry(alone, 'human')!.client).toBe('web');
    // A heartbeat under that name is an agent's presence too.
    expect((await postJson(`${http('wsclient1')}/listening`, { name: 'human' })).status).toBe(200);
    odd.send({ type: 'hello', name: 'odd2' });
    const beat = await human.next((f) => f.type === 'presence' && entry(f, 'odd2') !== undefined);
    expect(entry(beat, 'human')!.client).toBeUndefined();
    await odd.close();
    await human.close();
  });

  it('posts over the socket echo to everyone; malformed posts get an error frame', async () => {
    const a = new WsClient(ws('wspost01'));
    const b = new WsClient(ws('wspost01'));
    await a.next((f) => f.type === 'ready');
    await b.next((f) => f.type === 'ready');
    a.send({ ...fakeSealed(), sender: '' });
    const got = await b.next((f) => f.type === 'message');
    expect(got.sender).toBe('user');
    await a.next((f) => f.type === 'message');
    a.send('not json');
    expect(await a.next((f) => f.type === 'error')).toEqual({
      type: 'error',
      code: 400,
      error: ERR.invalidJson,
    });
    a.send({ ciphertext: 'QQ', nonce: 'x' });
    expect(await a.next((f) => f.type === 'error' && f.error === ERR.badMessage)).toMatchObject({
      code: 400,
    });
    await a.close();
    await b.close();
  });

  it('closes oversize frames with 1009 and keeps serving others', async () => {
    const a = new WsClient(ws('wsbig001'));
    await a.next((f) => f.type === 'ready');
    a.send('x'.repeat(300 * 1024));
    await new Promise((res) => a.ws.once('close', res));
    expect(a.closeCode).toBe(1009);
    const ok = await postJson(`${http('wsbig001')}/messages`, fakeSealed());
    expect(ok.status).toBe(200);
  });

  it('refuses upgrades to other paths, bad room ids and foreign origins with an HTTP error', async () => {
    const bad = new WsClient(`${r.url.replace('http', 'ws')}/api/rooms/ab/ws`);
    await expect(bad.opened).rejects.toThrow(/400/);
    const other = new WsClient(`${r.url.replace('http', 'ws')}/elsewhere`);
    await expect(other.opened).rejects.toThrow(/404/);
    const foreign = new WsClient(ws('wsorigin'), { headers: { Origin: 'https://evil.example' } });
    await expect(foreign.opened).rejects.toThrow(/403/);
    const same = new WsClient(ws('wsorigin'), { headers: { Origin: r.url } });
    await same.opened;
    await same.close();
  });
});

describe('ordering', () => {
  it('concurrent posts over HTTP and WebSocket get one strictly increasing order seen identically by all', async () => {
    const watchers = [
      new WsClient(ws('order001')),
      new WsClient(ws('order001')),
      new SseClient(`${http('order001')}/events`),
    ];
    for (const w of watchers) await w.next((f) => f.type === 'ready');
    const poster = new WsClient(ws('order001'));
    await poster.next((f) => f.type === 'ready');
    const N = 150;
    const https: Promise<unknown>[] = [];
    for (let i = 0; i < N; i++) {
      poster.send({ sender: 'ws', ...fakeSealed() });
      https.push(postJson(`${http('order001')}/messages`, { sender: 'http', ...fakeSealed() }));
    }
    await Promise.all(https);
    const views = [];
    for (const w of watchers) views.push((await w.count('message', 2 * N)).map((m) => m.seq as number));
    for (const v of views) {
      expect(v).toHaveLength(2 * N);
      for (let i = 1; i < v.length; i++) expect(v[i]! - v[i - 1]!).toBe(1);
      expect(v).toEqual(views[0]);
    }
    for (const w of watchers) await ('ws' in w ? w.close() : w.close());
    await poster.close();
  });
});
