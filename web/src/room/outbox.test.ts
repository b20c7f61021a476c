import { describe, expect, it, vi } from 'vitest';
import { openText } from '@protocol/crypto.js';
import { newIdentity } from '@protocol/identity.js';
import type { PostResult } from '../transport/post.js';
import { Outbox, type PostFn } from './outbox.js';
import { SentLog } from './sentLog.js';
import { memoryOutboxStore, type SendLock } from './outboxStore.js';
import { KEY, newStore } from './testRoom.js';

function fakeRelay(answers: PostResult[]) {
  const bodies: Array<Record<string, unknown>> = [];
  const postFn: PostFn = async (_room, build) => {
    bodies.push(build() as Record<string, unknown>);
    return answers.shift() ?? { ok: true, id: `id${bodies.length}`, seq: bodies.length };
  };
  return { bodies, postFn };
}

const setup = (answers: PostResult[] = [], storage = memoryOutboxStore(), lock?: SendLock) => {
  const store = newStore();
  const relay = fakeRelay(answers);
  const sends: string[] = [];
  const sent = new SentLog();
  const outbox = new Outbox({
    roomId: 'ROOM000001',
    key: KEY,
    store,
    clock: { noteSend: (id) => void sends.push(id) },
    refreshStatus: async () => undefined,
    sent,
    postFn: relay.postFn,
    storage,
    ...(lock ? { lock } : {}),
  });
  return { store, relay, outbox, sends, sent, storage };
};

const offline: PostResult = { ok: false, status: 0, error: 'network error' };

describe('outbox', () => {
  it('seals under the room key, keeps a sent row until the echo settles it', async () => {
    const { store, relay, outbox, sends, sent } = setup();
    store.getState().setReplyTo({ id: 'parent', sender: 'b', preview: 'p' });
    await outbox.send('  indented');
    const body = relay.bodies[0]!;
    expect(openText(body as { ciphertext: string; nonce: string }, KEY)).toBe('  indented');
    expect(body).toMatchObject({ sender: 'alice', reply_to: 'parent' });
    expect(store.getState().replyTo).toBeNull();
    expect(store.getState().pending).toMatchObject([{ status: 'sent', sentId: 'id1' }]);
    expect(sends).toEqual(['id1']);
    // Its echo is ours by nonce and id; the same ciphertext under another id is not.
    expect(sent.isOwn({ id: 'id1', nonce: String(body.nonce) })).toBe(true);
    expect(sent.isOwn({ id: 'copy', nonce: String(body.nonce) })).toBe(false);
    outbox.settle('id1');
    expect(store.getState().pending).toEqual([]);
  });

  it('marks a refused send failed, and a retry sends it again', async () => {
    const { store, relay, outbox } = setup([{ ok: false, status: 413, error: 'too big' }]);
    await outbox.send('x');
    const [row] = store.getState().pending;
    expect(row).toMatchObject({ status: 'failed' });
    await outbox.retry(row!.localId);
    expect(relay.bodies).toHaveLength(2);
    expect(store.getState().pending).toMatchObject([{ status: 'sent' }]);
    outbox.discard(row!.localId);
    expect(store.getState().pending).toEqual([]);
  });

  it('signs when an identity is set and carries an armed lock once', async () => {
    const { store, relay, outbox } = setup();
    store.getState().setIdentity(newIdentity('carol'));
    store.getState().setLockArmed(true);
    await outbox.send('lock it');
    await outbox.send('again');
    expect(relay.bodies[0]).toMatchObject({ sender: '@carol', sender_handle: 'carol', signed_only: true });
    expect(typeof relay.bodies[0]!.sender_sig).toBe('string');
    expect(relay.bodies[1]!.signed_only).toBeUndefined();
    expect(store.getState().lockArmed).toBe(false);
  });

  it('keeps an unreachable send sealed, restores it in a new page, and sends it with the same nonce', async () => {
    const first = setup([offline]);
    await first.outbox.send('kept');
    first.outbox.dispose();
    expect(first.store.getState().pending).toMatchObject([{ status: 'queued' }]);
    const [rec] = [...first.storage.recs.values()];
    expect(JSON.stringify(rec)).not.toContain('kept');
    expect(openText(rec!, KEY)).toBe('kept');
    // A reload: a new outbox over the same storage.
    const again = setup([], first.storage);
    await again.outbox.restore();
    expect(again.store.getState().pending).toMatchObject([
      { status: 'queued', text: 'kept', nonce: rec!.nonce },
    ]);
    expect(again.sent.isOwn({ id: 'any', nonce: rec!.nonce })).toBe(true);
    again.outbox.flush();
    await vi.waitFor(() => expect(again.relay.bodies).toHaveLength(1));
    expect(again.relay.bodies[0]).toMatchObject({ nonce: rec!.nonce, ciphertext: rec!.ciphertext });
    await vi.waitFor(() => expect(again.storage.recs.size).toBe(0));
    expect(again.store.getState().pending).toMatchObject([{ status: 'sent', sentId: 'id1' }]);
    again.outbox.dispose();
  });

  it('settles a row by its nonce when the echo arrives but the answer was lost', async () => {
    const { store, outbox, storage } = setup([offline]);
    await outbox.send('echoed');
    const row = store.getState().pending[0]!;
    outbox.settle('relay-id', row.nonce);
    expect(store.getState().pending).toEqual([]);
    await vi.waitFor(() => expect(storage.recs.size).toBe(0));
    outbox.dispose();
  });

  it('leaves a post another tab holds, and does not resend one another tab already sent', async () => {
    const held: SendLock = { run: async () => null };
    const a = setup([], memoryOutboxStore(), held);
    await a.outbox.send('x');
    expect(a.relay.bodies).toHaveLength(0);
    expect(a.store.getState().pending).toMatchObject([{ status: 'queued' }]);
    a.outbox.dispose();
    const b = setup([offline]);
    await b.outbox.send('y');
    b.storage.recs.clear();
    b.outbox.flush();
    await vi.waitFor(() => expect(b.store.getState().pending).toMatchObject([{ status: 'sent' }]));
    expect(b.relay.bodies).toHaveLength(1);
    b.outbox.dispose();
  });

  it('discards a queued post from the screen and the device', async () => {
    const { store, outbox, storage } = setup([offline]);
    await outbox.send('never mind');
    outbox.discard(store.getState().pending[0]!.localId);
    expect(store.getState().pending).toEqual([]);
    await vi.waitFor(() => expect(storage.recs.size).toBe(0));
    outbox.dispose();
  });
});
