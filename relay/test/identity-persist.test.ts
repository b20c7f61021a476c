import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRelay, type TestRelay } from '../../test-support/relay.js';
import {
  call,
  fixedIdentity,
  register,
  sealedDm,
  signDm,
  signed,
  signedProfile,
} from './identity-helpers.js';

let r: TestRelay | null = null;
let dir: string | null = null;
afterEach(async () => {
  await r?.close();
  r = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});
const alice = fixedIdentity('alice');
const bob = fixedIdentity('bob');

function allFileText(d: string): string {
  return readdirSync(d)
    .map((f) => readFileSync(join(d, f), 'utf8'))
    .join('\n');
}

describe('identity persistence', () => {
  it('identities and profiles survive a restart; DM content never touches disk; inbox seqs stay monotonic', async () => {
    dir = mkdtempSync(join(tmpdir(), 'b2b-ids-'));
    r = await startRelay({ dataDir: dir });
    expect((await register(r.url, alice, Date.now(), 'persisted bio')).status).toBe(201);
    expect((await register(r.url, bob)).status).toBe(201);
    const profile = signedProfile(alice, { framework: 'langchain', summary: 'survives restarts' });
    expect((await call('PUT', `${r.url}/api/agents/alice/profile`, profile)).status).toBe(201);
    const envs = [sealedDm(64), sealedDm(64)];
    const s1 = await call('POST', `${r.url}/api/dm/alice`, envs[0]);
    const s2 = await call('POST', `${r.url}/api/dm/alice`, signDm(bob, 'alice', envs[1]!));
    expect([s1.status, s2.status]).toEqual([200, 200]);
    r.relay.deps.identities.flush();
    await r.close();
    r = null;

    const files = readdirSync(dir).sort();
    expect(files).toEqual(['agent_profiles.json', 'identities.json']);
    const disk = allFileText(dir);
    expect(disk).toContain('persisted bio');
    for (const env of envs) {
      expect(disk).not.toContain(env.ciphertext);
      expect(disk).not.toContain(env.nonce);
      expect(disk).not.toContain(env.sender_eph_pub);
    }
    expect(disk).not.toContain('ciphertext');

    r = await startRelay({ dataDir: dir });
    const id = await call('GET', `${r.url}/api/identity/alice`);
    expect(id.status).toBe(200);
    expect(id.json.meta).toEqual({ bio: 'persisted bio' });
    const agent = await call('GET', `${r.url}/api/agents/alice`);
    expect(agent.status).toBe(200);
    expect(agent.json.agent.summary).toBe('survives restarts');
    // The inbox was RAM only; new DMs get seqs above everything handed out before.
    const empty = await signed(r.url, alice, 'GET', '/api/dm/alice/inbox/wait?timeout=1');
    expect(empty.json.messages).toEqual([]);
    const s3 = await call('POST', `${r.url}/api/dm/alice`, sealedDm());
    expect(s3.json.seq).toBeGreaterThan(s2.json.seq);
    // Signed requests still verify against the reloaded keys.
    expect((await signed(r.url, alice, 'POST', '/api/agents/alice/heartbeat')).status).toBe(200);
  });

  it('writes are debounced to disk without an explicit flush, atomically (no temp files left)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'b2b-ids-'));
    r = await startRelay({ dataDir: dir });
    expect((await register(r.url, alice)).status).toBe(201);
    let text = '';
    for (let i = 0; i < 100 && !text.includes('"alice"'); i++) {
      await new Promise((res) => setTimeout(res, 30));
      try {
        text = readFileSync(join(dir, 'identities.json'), 'utf8');
      } catch {
        text = '';
      }
    }
    expect(JSON.parse(text).identities.alice.sign_pub).toBeTruthy();
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('re-validates state files on load: malformed records and forged profiles are dropped', async () => {
    dir = mkdtempSync(join(tmpdir(), 'b2b-ids-'));
    r = await startRelay({ dataDir: dir });
    expect((await register(r.url, alice)).status).toBe(201);
    expect((await register(r.url, bob)).status).toBe(201);
    expect(
      (await call('PUT', `${r.url}/api/agents/alice/profile`, signedProfile(alice, { summary: 'genuine' })))
        .status,
    ).toBe(201);
    expect(
      (await call('PUT', `${r.url}/api/agents/bob/profile`, signedProfile(bob, { summary: 'genuine' })))
        .status,
    ).toBe(201);
    r.relay.deps.identities.flush();
    await r.close();
    r = null;

    const ids = JSON.parse(readFileSync(join(dir, 'identities.json'), 'utf8'));
    ids.identities['Bad Handle'] = { ...ids.identities.alice, handle: 'Bad Handle' };
    ids.identities.carol = { ...ids.identities.alice, handle: 'carol', sign_pub: 'not base64!' };
    writeFileSync(join(dir, 'identities.json'), JSON.stringify(ids));
    const profs = JSON.parse(readFileSync(join(dir, 'agent_profiles.json'), 'utf8'));
    profs.profiles.bob.profile.summary = 'tampered';
    writeFileSync(join(dir, 'agent_profiles.json'), JSON.stringify(profs));

    r = await startRelay({ dataDir: dir });
    expect((await call('GET', `${r.url}/api/identity/alice`)).status).toBe(200);
    expect((await call('GET', `${r.url}/api/identity/carol`)).status).toBe(404);
    expect([...r.relay.deps.identities.records.keys()].sort()).toEqual(['alice', 'bob']);
    expect((await call('GET', `${r.url}/api/agents/alice`)).json.agent.summary).toBe('genuine');
    expect((await call('GET', `${r.url}/api/agents/bob`)).status).toBe(404);
  });

  it('a corrupt state file does not stop the relay', async () => {
    dir = mkdtempSync(join(tmpdir(), 'b2b-ids-'));
    writeFileSync(join(dir, 'identities.json'), '{not json');
    r = await startRelay({ dataDir: dir });
    expect((await register(r.url, alice)).status).toBe(201);
  });
});
