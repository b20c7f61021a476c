import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { beforeEach, describe, expect, it } from 'vitest';
import { newIdentity } from '@protocol/identity.js';
import {
  DB_NAME,
  MIGRATIONS,
  clearAll,
  deleteSentDm,
  forgetSentDms,
  loadFrames,
  loadSentDms,
  openChatDB,
  putSentDm,
  resetChatDBForTests,
  type ChatDB,
} from '../storage/db.js';
import { discardSentDms, openSentDm, sealSentDm } from './sentStore.js';

const alice = newIdentity('alice');
const mallory = newIdentity('mallory');
const dm = (id: string, ts: number, text = `text of ${id}`) => ({ id, ts, to: 'bob', text });

beforeEach(async () => {
  await clearAll();
});

describe('sent DM copies', () => {
  it('are sealed to the sender: the record holds neither text nor recipient, and opens only with its keys', () => {
    const rec = sealSentDm(alice, dm('m1', 5, 'the plan is secret'));
    expect(rec).toMatchObject({ handle: 'alice', id: 'm1', ts: 5 });
    expect(JSON.stringify(rec)).not.toMatch(/secret|bob/);
    expect(openSentDm(alice, rec)).toEqual(dm('m1', 5, 'the plan is secret'));
    expect(openSentDm(mallory, rec)).toBeNull();
    // A copy tampered with at rest does not open.
    expect(
      openSentDm(alice, { ...rec, ciphertext: sealSentDm(alice, dm('m1', 5, 'other')).ciphertext }),
    ).toBeNull();
  });

  it('are kept per handle, oldest first, and can be forgotten one by one or all together', async () => {
    await putSentDm(sealSentDm(alice, dm('b', 20)));
    await putSentDm(sealSentDm(alice, dm('a', 10)));
    await putSentDm(sealSentDm(mallory, dm('c', 15)));
    expect((await loadSentDms('alice')).map((r) => r.id)).toEqual(['a', 'b']);
    await deleteSentDm('alice', 'a');
    expect((await loadSentDms('alice')).map((r) => r.id)).toEqual(['b']);
    await discardSentDms('alice');
    expect(await loadSentDms('alice')).toEqual([]);
    expect((await loadSentDms('mallory')).map((r) => r.id)).toEqual(['c']);
    await forgetSentDms('mallory');
    await putSentDm(sealSentDm(mallory, dm('d', 1)));
    await clearAll();
    expect(await loadSentDms('mallory')).toEqual([]);
  });

  it('arrive by upgrade in a cache written by the first schema, which keeps its frames', async () => {
    (await openChatDB()).close();
    resetChatDBForTests();
    indexedDB.deleteDatabase(DB_NAME);
    const v1 = await openDB<ChatDB>(DB_NAME, 1, { upgrade: (db, _old, _new, tx) => MIGRATIONS[0]!(db, tx) });
    await v1.put('frames', {
      roomId: 'R1',
      id: 'x',
      seq: 1,
      sender: 's',
      sender_verified: false,
      ciphertext: 'Y3Q=',
      nonce: 'bm9uY2U=',
      ts: 1,
    });
    v1.close();
    expect((await loadFrames('R1')).map((f) => f.id)).toEqual(['x']);
    await putSentDm(sealSentDm(alice, dm('m', 1)));
    expect(await loadSentDms('alice')).toHaveLength(1);
  });
});
