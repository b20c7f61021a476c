import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERR } from '../../protocol/index.js';
import { WsClient, fakeSealed, getJson, postJson } from '../../test-support/clients.js';
import { clusterMode, startRelay, type TestRelay } from '../../test-support/relay.js';

let r: TestRelay;
beforeAll(async () => {
  r = await startRelay();
});
afterAll(() => r.close());

const http = (id: string, node: TestRelay = r) => `${node.url}/api/rooms/${id}`;
const ws = (id: string) => `${r.url.replace('http', 'ws')}/api/rooms/${id}/ws`;

describe('expected_last_seq over HTTP', () => {
  it('appends when the room is where the poster saw it, 409 with last_seq and nothing stored when it moved on', async () => {
    const first = await postJson(`${http('optim001')}/messages`, { ...fakeSealed(), expected_last_seq: 0 });
    expect(first.status).toBe(200);
    const second = await postJson(`${http('optim001')}/messages`, {
      ...fakeSealed(),
      expected_last_seq: first.json.seq,
    });
    expect(second.status).toBe(200);
    const stale = await postJson(`${http('optim001')}/messages`, {
      ...fakeSealed(),
      expected_last_seq: first.json.seq,
    });
    expect(stale.status).toBe(409);
    expect(stale.json).toEqual({ error: ERR.roomMovedOn, last_seq: second.json.seq });
    const t = await getJson(`${http('optim001')}/transcript`);
    expect(t.json.messages.map((m: { seq: number }) => m.seq)).toEqual([first.json.seq, second.json.seq]);
  });

  it('leaves posts without the field exactly as before, and refuses a bad value as a bad message', async () => {
    const plain = await postJson(`${http('optim002')}/messages`, fakeSealed());
    expect(plain.status).toBe(200);
    expect(Object.keys(plain.json).sort()).toEqual(['id', 'ok', 'seq']);
    for (const v of ['5', -1, 1.5]) {
      const bad = await postJson(`${http('optim002')}/messages`, { ...fakeSealed(), expected_last_seq: v });
      expect(bad.status).toBe(400);
      expect(bad.json).toEqual({ error: ERR.badMessage });
    }
    const nul = await postJson(`${http('optim002')}/messages`, { ...fakeSealed(), expected_last_seq: null });
    expect(nul.status).toBe(200);
  });

  it('does not create a missing room just to refuse a conditional post', async () => {
    const p = await postJson(`${http('optim003')}/messages`, { ...fakeSealed(), expected_last_seq: 12345 });
    expect(p.status).toBe(409);
    expect(p.json.last_seq).toBe(0);
    expect((await getJson(`${http('optim003')}/status`)).json.exists).toBe(false);
  });

  it('of racing posts that saw the same last_seq, exactly one is stored (across nodes in a cluster)', async () => {
    const base = (await postJson(`${http('optim004')}/messages`, fakeSealed())).json.seq as number;
    const nodes = r.peer ? [r, r.peer] : [r];
    expect(nodes).toHaveLength(clusterMode ? 2 : 1);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        postJson(`${http('optim004', nodes[i % nodes.length])}/messages`, {
          ...fakeSealed(),
          expected_last_seq: base,
        }),
      ),
    );
    const ok = results.filter((x) => x.status === 200);
    const conflicts = results.filter((x) => x.status === 409);
    expect(ok).toHaveLength(1);
    expect(conflicts).toHaveLength(7);
    for (const c of conflicts) expect(c.json.last_seq).toBe(ok[0]!.json.seq);
    const t = await getJson(`${http('optim004')}/transcript`);
    expect(t.json.count).toBe(2);
  });

  it('a conflicting post that asked to lock the room does not lock it', async () => {
    const plain = (await postJson(`${http('optim005')}/messages`, fakeSealed())).json.seq as number;
    // Unsigned with signed_only is refused before the seq check; the latch stays open either way.
    const p = await postJson(`${http('optim005')}/messages`, {
      ...fakeSealed(),
      expected_last_seq: plain - 1,
      signed_only: true,
    });
    expect(p.status).toBe(400);
    const st = await getJson(`${http('optim005')}/status`);
    expect(st.json.signed_only).toBe(false);
    expect(st.json.last_seq).toBe(plain);
  });
});

describe('expected_last_seq over WebSocket', () => {
  it('answers a stale post with an error frame carrying last_seq, and stores nothing', async () => {
    const a = new WsClient(ws('optimws1'));
    await a.next((f) => f.type === 'ready');
    a.send({ ...fakeSealed(), sender: 'w', expected_last_seq: 0 });
    const stored = await a.next((f) => f.type === 'message');
    a.send({ ...fakeSealed(), sender: 'w', expected_last_seq: (stored.seq as number) - 1 });
    expect(await a.next((f) => f.type === 'error')).toEqual({
      type: 'error',
      code: 409,
      error: ERR.roomMovedOn,
      last_seq: stored.seq,
    });
    a.send({ ...fakeSealed(), sender: 'w', expected_last_seq: stored.seq });
    const next = await a.next((f) => f.type === 'message' && f.seq !== stored.seq);
    expect(next.seq).toBe((stored.seq as number) + 1);
    const t = await getJson(`${http('optimws1')}/transcript`);
    expect(t.json.count).toBe(2);
    await a.close();
  });
});
