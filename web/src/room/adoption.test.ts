import { describe, expect, it } from 'vitest';
import { newBoxKeyPair } from '@protocol/crypto.js';
import { buildAdoptOffer } from '@protocol/adopt.js';
import { classifyPlaintext, type AdoptEnvelope } from '@protocol/envelopes.js';
import { newIdentity } from '@protocol/identity.js';
import { Adoption } from './adoption.js';
import { newStore } from './testRoom.js';

function offerFor(name: string, pub: Uint8Array): AdoptEnvelope {
  const p = classifyPlaintext(buildAdoptOffer(newIdentity('newbie'), name, pub));
  if (p.kind !== 'adopt') throw new Error('not an offer');
  return p.envelope;
}

describe('adoption', () => {
  it('opens an offer for our name from a verified operator, keeping the keys out of the store', () => {
    const store = newStore('alice');
    const keys = newBoxKeyPair();
    const a = new Adoption({
      store,
      boxSecretKey: keys.secretKey,
      post: async () => ({ ok: true, id: 'x', seq: 1 }),
    });
    a.consider({ sender: 'mallory', sender_verified: false }, offerFor('alice', keys.publicKey));
    a.consider({ sender: '@op', sender_verified: true }, offerFor('bob', keys.publicKey));
    expect(store.getState().adoptOffer).toBeNull();
    a.consider({ sender: '@op', sender_verified: true }, offerFor('alice', keys.publicKey));
    expect(store.getState().adoptOffer).toMatchObject({ handle: 'newbie', from: '@op' });
    expect(JSON.stringify(store.getState().adoptOffer)).not.toContain('sign_seed');
    a.decline();
    expect(store.getState().adoptOffer).toBeNull();
  });

  it('refuses to promote when not signed in or when the target key is malformed', async () => {
    const store = newStore('alice');
    const a = new Adoption({
      store,
      boxSecretKey: newBoxKeyPair().secretKey,
      post: async () => ({ ok: true, id: 'x', seq: 1 }),
    });
    expect(await a.promote('bob', 'AAAA', 'bobby')).toMatchObject({ ok: false });
    store.getState().setIdentity(newIdentity('op'));
    expect(await a.promote('bob', 'AAAA', 'bobby')).toMatchObject({
      ok: false,
      error: expect.stringContaining('malformed'),
    });
  });
});
