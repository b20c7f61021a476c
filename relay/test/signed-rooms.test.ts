import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERR, encodeBase64, roomMessageText, signRoomPost, signText } from '../../protocol/index.js';
import { WsClient, fakeSealed, getJson, postJson } from '../../test-support/clients.js';
import { startRelay, type TestRelay } from '../../test-support/relay.js';
import { fixedIdentity, register } from './identity-helpers.js';

let r: TestRelay;
const alice = fixedIdentity('alice-signer', 11);
beforeAll(async () => {
  r = await startRelay();
  expect((await register(r.url, alice)).status).toBe(201);
});
afterAll(() => r.close());
const http = (id: string) => `${r.url}/api/rooms/${id}`;

function signedPost(roomId: string, extra: Record<string, unknown> = {}, id = alice, now = Date.now()) {
  const sealed = fakeSealed();
  return {
    sender: 'whatever-label',
    ...sealed,
    ...signRoomPost(id, roomId, sealed.ciphertext, now),
    ...extra,
  };
}

describe('signed room posts', () => {
  it('a valid signature stamps @handle and sender_verified, in any room', async () => {
    const p = await postJson(`${http('signed01')}/messages`, signedPost('signed01'));
    expect(p.status).toBe(200);
    const m = (await getJson(`${http('signed01')}/transcript`)).json.messages[0];
    expect(m).toMatchObject({ sender: '@alice-signer', sender_verified: true });
  });

  it('an unsigned label starting with @ stays unverified', async () => {
    await postJson(`${http('signed02')}/messages`, { sender: '@alice-signer', ...fakeSealed() });
    expect((await getJson(`${http('signed02')}/transcript`)).json.messages[0]).toMatchObject({
      sender: '@alice-signer',
      sender_verified: false,
    });
  });

  it('401 bad sender_sig for every kind of bad signature', async () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['signed for another room', { ...signedPost('otherroom') }],
      ['stale timestamp', signedPost('signed03', {}, alice, Date.now() - 61_000)],
      ['unknown handle', signedPost('signed03', {}, fixedIdentity('nobody-here', 40))],
      ['bad nonce shape', { ...signedPost('signed03'), sender_nonce: 'short' }],
      ['signature not base64', { ...signedPost('signed03'), sender_sig: 'nope' }],
    ];
    for (const [what, body] of cases) {
      const p = await postJson(`${http('signed03')}/messages`, body);
      expect(p.status, what).toBe(401);
      expect(p.json, what).toEqual({ error: ERR.badSenderSig });
    }
    const tampered = signedPost('signed03');
    tampered.ciphertext = fakeSealed().ciphertext;
    expect((await postJson(`${http('signed03')}/messages`, tampered)).status).toBe(401);
  });

  it('a replayed sender_nonce is refused', async () => {
    const body = signedPost('signed04');
    expect((await postJson(`${http('signed04')}/messages`, body)).status).toBe(200);
    expect((await postJson(`${http('signed04')}/messages`, body)).status).toBe(401);
  });

  it('sender_ts may be a numeric string, signed exactly as sent', async () => {
    const sealed = fakeSealed();
    const ts = String(Date.now());
    const nonce = 'abcdefghijklmnopqrstuvwx';
    const sig = signText(roomMessageText('signed05', ts, nonce, sealed.ciphertext), alice.signSecretKey);
    const p = await postJson(`${http('signed05')}/messages`, {
      ...sealed,
      sender_handle: 'ALICE-SIGNER',
      sender_ts: ts,
      sender_nonce: nonce,
      sender_sig: sig,
    });
    expect(p.status).toBe(200);
    expect(encodeBase64(alice.signPublicKey)).toBeTruthy();
  });
});

describe('signed-only rooms', () => {
  it('an unsigned lock request is refused; a signed one latches the room for good and broadcasts locked', async () => {
    const w = new WsClient(`${http('locked01').replace('http', 'ws')}/ws`);
    await w.next((f) => f.type === 'ready');
    await postJson(`${http('locked01')}/messages`, fakeSealed());
    const unsigned = await postJson(`${http('locked01')}/messages`, { ...fakeSealed(), signed_only: true });
    expect(unsigned.status).toBe(400);
    expect(unsigned.json).toEqual({ error: ERR.signedOnlyNeedsSig });
    // Locking works at any point in the room's life, not only on the first message.
    expect(
      (await postJson(`${http('locked01')}/messages`, signedPost('locked01', { signed_only: true }))).status,
    ).toBe(200);
    await w.next((f) => f.type === 'locked');
    expect((await getJson(`${http('locked01')}/status`)).json.signed_only).toBe(true);
    const refused = await postJson(`${http('locked01')}/messages`, fakeSealed());
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({ error: ERR.signedOnlyLocked });
    w.send(fakeSealed());
    expect(await w.next((f) => f.type === 'error')).toEqual({
      type: 'error',
      code: 403,
      error: ERR.signedOnlyLockedWs,
    });
    expect((await postJson(`${http('locked01')}/messages`, signedPost('locked01'))).status).toBe(200);
    // A new subscriber learns the lock from ready.
    const late = new WsClient(`${http('locked01').replace('http', 'ws')}/ws`);
    expect(await late.next((f) => f.type === 'ready')).toMatchObject({ signed_only: true });
    await w.close();
    await late.close();
  });

  it('the WS path reports signed_only without a signature as an error frame', async () => {
    const w = new WsClient(`${http('locked02').replace('http', 'ws')}/ws`);
    await w.next((f) => f.type === 'ready');
    w.send({ ...fakeSealed(), signed_only: true });
    expect(await w.next((f) => f.type === 'error')).toEqual({
      type: 'error',
      code: 400,
      error: ERR.signedOnlyNeedsSig,
    });
    w.send(signedPost('locked02', { signed_only: true }));
    await w.next((f) => f.type === 'locked');
    await w.close();
  });
});
