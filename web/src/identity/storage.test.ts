import { describe, expect, it } from 'vitest';
import { exportIdentityJson, identityToRecord, newIdentity } from '@protocol/identity.js';
import {
  importIdentity,
  parseImport,
  PLAIN_KEY,
  readStored,
  SEALED_KEY,
  writeIdentity,
  eraseIdentity,
  type KV,
} from './storage.js';

class MemKV implements KV {
  readonly m = new Map<string, string>();
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.m.set(k, v);
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
  snapshot() {
    return JSON.stringify([...this.m.entries()].sort());
  }
}

describe('identity storage validates before it saves', () => {
  it('refuses a bad import and leaves the existing identity exactly as it was', async () => {
    const kv = new MemKV();
    const current = newIdentity('current-user');
    await writeIdentity(current, { kind: 'plain' }, kv);
    const before = kv.snapshot();
    const good = JSON.parse(exportIdentityJson(newIdentity('other-user'))) as Record<string, unknown>;
    const bad = [
      '',
      'not json at all',
      '[]',
      JSON.stringify({ ...good, bot2bot_identity_v1: undefined }),
      JSON.stringify({ ...good, handle: 'X!' }),
      JSON.stringify({ ...good, sign_seed_b64u: String(good.sign_seed_b64u).slice(0, 20) }),
      JSON.stringify({ ...good, box_sk_b64u: 42 }),
    ];
    for (const text of bad) {
      const r = await importIdentity(text, { kind: 'plain' }, kv);
      expect(r.ok, text).toBe(false);
      if (!r.ok) expect(r.error.length).toBeGreaterThan(5);
      expect(kv.snapshot()).toBe(before);
    }
    const s = readStored(kv);
    expect(s.kind === 'plain' && s.identity.handle).toBe('current-user');
  });

  it('saves a valid export and reads it back in the reference record format', async () => {
    const kv = new MemKV();
    const id = newIdentity('round-trip');
    const r = await importIdentity(exportIdentityJson(id), { kind: 'plain' }, kv);
    expect(r.ok).toBe(true);
    expect(JSON.parse(kv.getItem(PLAIN_KEY)!)).toEqual(identityToRecord(id));
    const s = readStored(kv);
    expect(s.kind).toBe('plain');
    if (s.kind === 'plain') expect([...s.identity.signSeed].join() === [...id.signSeed].join()).toBe(true);
  });

  it('passphrase mode writes the vault first, then removes the plaintext record', async () => {
    const kv = new MemKV();
    const id = newIdentity('sealed-user');
    await writeIdentity(id, { kind: 'plain' }, kv);
    await writeIdentity(id, { kind: 'sealed', passphrase: 'a long passphrase', iterations: 1000 }, kv);
    expect(kv.getItem(PLAIN_KEY)).toBeNull();
    expect(kv.getItem(SEALED_KEY)).toContain('sealed-user');
    const s = readStored(kv);
    expect(s.kind === 'sealed' && s.vault.handle).toBe('sealed-user');
  });

  it('"this tab only" writes nothing', async () => {
    const kv = new MemKV();
    await writeIdentity(newIdentity('memory-user'), { kind: 'memory' }, kv);
    expect(kv.m.size).toBe(0);
  });

  it('reports unusable stored data without deleting it', () => {
    const kv = new MemKV();
    kv.setItem(PLAIN_KEY, JSON.stringify({ handle: 'broken', box_sk_b64u: 'AAAA', sign_seed_b64u: 'AAAA' }));
    const s = readStored(kv);
    expect(s.kind).toBe('broken');
    expect(kv.getItem(PLAIN_KEY)).not.toBeNull();
    kv.setItem(PLAIN_KEY, '{nope');
    expect(readStored(kv).kind).toBe('broken');
    expect(kv.getItem(PLAIN_KEY)).toBe('{nope');
  });

  it('keeps reading the reference plaintext record (no marker) for compatibility', () => {
    const kv = new MemKV();
    const id = newIdentity('legacy-user');
    kv.setItem(PLAIN_KEY, JSON.stringify(identityToRecord(id)));
    const s = readStored(kv);
    expect(s.kind === 'plain' && s.identity.handle).toBe('legacy-user');
    eraseIdentity(kv);
    expect(readStored(kv).kind).toBe('none');
  });

  it('export files need the marker', () => {
    const rec = identityToRecord(newIdentity('no-marker'));
    expect(parseImport(JSON.stringify(rec)).ok).toBe(false);
    expect(parseImport(JSON.stringify({ bot2bot_identity_v1: true, ...rec })).ok).toBe(true);
  });
});
