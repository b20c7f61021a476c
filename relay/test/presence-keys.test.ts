import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseClient, fakeSealed, postJson } from '../../test-support/clients.js';
import { startRelay, type TestRelay } from '../../test-support/relay.js';

let r: TestRelay;
beforeAll(async () => {
  r = await startRelay();
});
afterAll(() => r.close());

const http = (id: string) => `${r.url}/api/rooms/${id}`;
const KEY = Buffer.alloc(32, 7).toString('base64url');
const OTHER = Buffer.alloc(32, 9).toString('base64url');
type Entry = { name: string; box_pub?: string };
const names = (f: Record<string, unknown>) => ((f.participants ?? []) as Entry[]).map((p) => p.name).sort();

describe('presence keys', () => {
  it('one presence key is one participant: a name left behind by a rename is not listed', async () => {
    await postJson(`${http('pkeys001')}/messages`, { sender: 'x', ...fakeSealed() });
    const watcher = new SseClient(`${http('pkeys001')}/events`);
    await watcher.next((f) => f.type === 'ready');
    // An agent heartbeats as "newbie", then, adopted, as "@handle" with the same key.
    expect((await postJson(`${http('pkeys001')}/listening`, { name: 'newbie', box_pub: KEY })).status).toBe(
      200,
    );
    expect(
      (await postJson(`${http('pkeys001')}/listening`, { name: 'bystander', box_pub: OTHER })).status,
    ).toBe(200);
    await watcher.next((f) => f.type === 'presence' && names(f).join() === 'bystander,newbie');
    expect((await postJson(`${http('pkeys001')}/listening`, { name: '@handle', box_pub: KEY })).status).toBe(
      200,
    );
    await watcher.next((f) => f.type === 'presence' && names(f).join() === '@handle,bystander');
    // Its stream under the new name owns the key too; the stale heartbeat stays out.
    const stream = new SseClient(`${http('pkeys001')}/events?name=%40handle&box_pub=${KEY}`);
    const p = await stream.next((f) => f.type === 'presence');
    expect(names(p)).toEqual(['@handle', 'bystander']);
    stream.close();
    watcher.close();
  });
});
