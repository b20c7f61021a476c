import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WsClient, fakeSealed, getJson, postJson } from '../../test-support/clients.js';
import { startRelay, type TestRelay } from '../../test-support/relay.js';

let r: TestRelay;
let small: TestRelay;
beforeAll(async () => {
  r = await startRelay();
  // Room share of about three small messages: older ones (and their nonces) go.
  small = await startRelay({ limits: { roomBytesPerRoom: 3 * 600 } });
});
afterAll(async () => {
  await r.close();
  await small.close();
});

const http = (id: string, node: TestRelay = r) => `${node.url}/api/rooms/${id}`;
const transcriptSeqs = async (id: string, node: TestRelay = r) =>
  (await getJson(`${http(id, node)}/transcript?limit=500`)).json.messages as Array<{
    seq: number;
    nonce: string;
  }>;

describe('a repeated nonce is answered with the original message', () => {
  it('answers the same {ok, id, seq} and stores one message (on either node of a cluster)', async () => {
    const body = { sender: 'web', ...fakeSealed() };
    const first = await postJson(`${http('idem0001')}/messages`, body);
    expect(first.status).toBe(200);
    const again = await postJson(`${http('idem0001', r.peer ?? r)}/messages`, body);
    expect(again.status).toBe(200);
    expect(again.json).toEqual(first.json);
    const other = await postJson(`${http('idem0001')}/messages`, { sender: 'web', ...fakeSealed() });
    expect(other.json.id).not.toBe(first.json.id);
    const msgs = await transcriptSeqs('idem0001');
    expect(msgs.map((m) => m.seq)).toEqual([first.json.seq, other.json.seq]);
  });

  it('stores one message when the same post races itself, and a subscriber sees it once', async () => {
    const ws = new WsClient(`${r.url.replace('http', 'ws')}/api/rooms/idem0002/ws`);
    await ws.next((f) => f.type === 'ready');
    const body = fakeSealed();
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        postJson(`${http('idem0002', i % 2 && r.peer ? r.peer : r)}/messages`, body),
      ),
    );
    for (const a of answers) expect(a.json).toEqual(answers[0]!.json);
    const marker = await postJson(`${http('idem0002')}/messages`, fakeSealed());
    await ws.next((f) => f.type === 'message' && f.id === marker.json.id);
    expect(ws.frames.filter((f) => f.type === 'message' && f.nonce === body.nonce)).toHaveLength(1);
    ws.close();
  });

  it('answers a repeat over the WebSocket without a second frame', async () => {
    const ws = new WsClient(`${r.url.replace('http', 'ws')}/api/rooms/idem0003/ws`);
    await ws.next((f) => f.type === 'ready');
    const body = fakeSealed();
    const first = await postJson(`${http('idem0003')}/messages`, body);
    ws.send(body);
    const marker = await postJson(`${http('idem0003')}/messages`, fakeSealed());
    await ws.next((f) => f.type === 'message' && f.id === marker.json.id);
    expect(ws.frames.filter((f) => f.type === 'message' && f.nonce === body.nonce).map((f) => f.id)).toEqual([
      first.json.id,
    ]);
    ws.close();
  });

  it('forgets the nonces of messages the room no longer holds', async () => {
    const body = fakeSealed();
    const first = await postJson(`${http('idem0004', small)}/messages`, body);
    for (let i = 0; i < 5; i++)
      expect((await postJson(`${http('idem0004', small)}/messages`, fakeSealed())).status).toBe(200);
    const held = await transcriptSeqs('idem0004', small);
    expect(held.some((m) => m.seq === first.json.seq)).toBe(false);
    expect(held.length).toBeLessThan(6);
    const again = await postJson(`${http('idem0004', small)}/messages`, body);
    expect(again.status).toBe(200);
    expect(again.json.seq).toBeGreaterThan(first.json.seq);
  });
});
