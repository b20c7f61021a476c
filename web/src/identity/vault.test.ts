import { describe, expect, it } from 'vitest';
import { encodeBase64Url } from '@protocol/base64.js';
import { newIdentity } from '@protocol/identity.js';
import { openVault, parseVault, passphraseProblem, sealIdentity, WrongPassphraseError } from './vault.js';

const FAST = 1000;

describe('passphrase vault', () => {
  it('round-trips an identity and never stores the secrets in the clear', async () => {
    const id = newIdentity('vault-user');
    const v = await sealIdentity(id, 'correct horse battery', FAST);
    const text = JSON.stringify(v);
    expect(v.handle).toBe('vault-user');
    expect(text).not.toContain(encodeBase64Url(id.signSeed));
    expect(text).not.toContain(encodeBase64Url(id.boxSecretKey));
    const back = await openVault(parseVault(JSON.parse(text))!, 'correct horse battery');
    expect(back.handle).toBe('vault-user');
    expect([...back.signSeed].join() === [...id.signSeed].join()).toBe(true);
    expect([...back.boxSecretKey].join() === [...id.boxSecretKey].join()).toBe(true);
  });

  it('fails closed on a wrong passphrase', async () => {
    const v = await sealIdentity(newIdentity('vault-user'), 'right passphrase', FAST);
    await expect(openVault(v, 'wrong passphrase')).rejects.toBeInstanceOf(WrongPassphraseError);
  });

  it('binds the handle: a relabelled vault does not open', async () => {
    const v = await sealIdentity(newIdentity('vault-user'), 'right passphrase', FAST);
    await expect(openVault({ ...v, handle: 'someone-else' }, 'right passphrase')).rejects.toBeInstanceOf(
      WrongPassphraseError,
    );
  });

  it('salts every vault: the same identity and passphrase seal differently', async () => {
    const id = newIdentity('vault-user');
    const a = await sealIdentity(id, 'same passphrase', FAST);
    const b = await sealIdentity(id, 'same passphrase', FAST);
    expect(a.salt).not.toBe(b.salt);
    expect(a.ciphertext).not.toBe(b.ciphertext);
  });

  it('rejects anything that is not a vault', () => {
    expect(parseVault(null)).toBeNull();
    expect(
      parseVault({
        bot2bot_identity_sealed_v1: true,
        handle: 'x',
        kdf: 'PBKDF2-SHA256',
        iterations: 1000,
        salt: 'AA',
        iv: 'AA',
        ciphertext: 'AA',
      }),
    ).toBeNull();
    expect(
      parseVault({
        bot2bot_identity_sealed_v1: true,
        handle: 'ok-handle',
        kdf: 'scrypt',
        iterations: 1000,
        salt: 'AA',
        iv: 'AA',
        ciphertext: 'AA',
      }),
    ).toBeNull();
    expect(
      parseVault({
        bot2bot_identity_sealed_v1: true,
        handle: 'ok-handle',
        kdf: 'PBKDF2-SHA256',
        iterations: 5,
        salt: 'AA',
        iv: 'AA',
        ciphertext: 'AA',
      }),
    ).toBeNull();
  });

  it('asks for a passphrase of at least 8 characters, typed twice alike', () => {
    expect(passphraseProblem('short')).toMatch(/at least 8/);
    expect(passphraseProblem('long enough', 'long enougH')).toMatch(/do not match/);
    expect(passphraseProblem('long enough', 'long enough')).toBeNull();
  });
});
