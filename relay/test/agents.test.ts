import { afterEach, describe, expect, it } from 'vitest';
import {
  ERR,
  LIMITS,
  encodeBase64,
  profileSigningText,
  verifyText,
  type AgentProfile,
} from '../../protocol/index.js';
import { TestClock, startRelay, type TestRelay } from '../../test-support/relay.js';
import { call, fixedIdentity, register, signed, signedProfile } from './identity-helpers.js';

let r: TestRelay | null = null;
afterEach(async () => {
  await r?.close();
  r = null;
});
const alice = fixedIdentity('alice');
const bob = fixedIdentity('bob');
const carol = fixedIdentity('carol');
const put = (h: string, body: unknown) => call('PUT', `${r!.url}/api/agents/${h}/profile`, body);

async function setup(overrides: Parameters<typeof startRelay>[0] = {}, clock?: TestClock): Promise<void> {
  r = await startRelay(overrides, clock);
  for (const id of [alice, bob, carol]) expect((await register(r.url, id, clock?.now())).status).toBe(201);
}

/** The public object's signature must still verify: the relay never rewrites signed fields. */
function signatureHolds(p: Record<string, unknown>, signPub: string): boolean {
  const {
    box_pub: _b,
    sign_pub: _s,
    profile_sig,
    last_seen_at: _l,
    listed_until: _u,
    match_score: _m,
    ...profile
  } = p;
  return verifyText(profileSigningText(profile as unknown as AgentProfile), profile_sig as string, signPub);
}

describe('agent directory', () => {
  it('publishes a normalized, signed profile (201) and serves it', async () => {
    await setup();
    const body = signedProfile(alice, {
      display_name: '  Alice Bot  ',
      framework: 'Claude Code',
      capabilities: ['Code Review', 'code review', 'TS!'],
      topics: ['crypto'],
      languages: ['EN', 'de'],
      homepage_url: 'https://example.org/a b',
      summary: 'reviews pull requests',
    });
    expect(body.profile).toMatchObject({
      display_name: 'Alice Bot',
      framework: 'claude-code',
      capabilities: ['code-review', 'ts'],
      homepage_url: 'https://example.org/a%20b',
    });
    const res = await put('alice', body);
    expect(res.status).toBe(201);
    expect(res.json.ok).toBe(true);
    expect(res.json.handle).toBe('alice');
    expect(res.json.profile).toMatchObject({
      ...body.profile,
      schema: 'bot2bot.agent_profile.v1',
      contact_policy: 'signed_dm_first',
      box_pub: expect.any(String),
      profile_sig: body.profile_sig,
      last_seen_at: expect.any(Number),
    });
    const got = await call('GET', `${r!.url}/api/agents/Alice`);
    expect(got.status).toBe(200);
    expect(got.headers.get('cache-control')).toBe('public, max-age=30');
    expect(signatureHolds(got.json.agent, got.json.agent.sign_pub)).toBe(true);
    expect((await call('GET', `${r!.url}/api/agents/bob`)).json).toEqual({ error: ERR.profileNotFound });
    expect((await call('GET', `${r!.url}/api/agents/B!`)).json).toEqual({ error: ERR.invalidHandle });
    // Defaults: display_name = handle, framework = other, expires_at replaced when out of range.
    const minimal = signedProfile(bob, { expires_at: 5 });
    expect(minimal.profile).toMatchObject({
      display_name: 'bob',
      framework: 'other',
      homepage_url: '',
      capabilities: [],
    });
    expect((await put('bob', minimal)).status).toBe(201);
  });

  it('checks a PUT in the reference order', async () => {
    // 13 PUTs to alice below use up her agent:alice bucket; registration has its own bucket.
    await setup({ limits: { rateBucketCapacity: 13, rateBucketRefillPerS: 0.001 } });
    const ok = signedProfile(alice, { framework: 'langchain' });
    const expectErr = async (h: string, body: unknown, status: number, error: string) => {
      const res = await put(h, body);
      expect([res.status, res.json.error]).toEqual([status, error]);
    };
    await expectErr('BAD!', ok, 400, ERR.invalidHandle);
    await expectErr('nobody', ok, 404, ERR.identityNotRegistered);
    await expectErr('alice', { ...ok, profile_sig: 'AAAA' }, 400, ERR.profileSigNotCanonical);
    await expectErr('alice', { ...ok, profile: [1] }, 400, ERR.profileNotObject);
    await expectErr(
      'alice',
      { ...ok, profile: { ...ok.profile, framework: '.net' } },
      400,
      ERR.profileInvalidFramework,
    );
    await expectErr(
      'alice',
      { ...ok, profile: { ...ok.profile, updated_at: undefined } },
      400,
      ERR.profileUpdatedAtRequired,
    );
    await expectErr(
      'alice',
      { ...ok, profile: { ...ok.profile, updated_at: Date.now() - LIMITS.profileMaxSkewMs - 5000 } },
      400,
      ERR.profileSkew,
    );
    await expectErr(
      'alice',
      { ...ok, profile: { ...ok.profile, homepage_url: 'ftp://x.org' } },
      400,
      ERR.profileInvalidHomepage,
    );
    await expectErr(
      'alice',
      { ...ok, profile: { ...ok.profile, homepage_url: 'https://x.org/#frag' } },
      400,
      ERR.profileInvalidHomepage,
    );
    await expectErr(
      'alice',
      { ...ok, profile: { ...ok.profile, summary: 'join https://x/room/ABCD#k=zzz' } },
      400,
      `${ERR.profileForbidden}#k=`,
    );
    await expectErr(
      'alice',
      { ...ok, profile: { ...ok.profile, box_sk: 'x' } },
      400,
      `${ERR.profileForbidden}box_sk`,
    );
    // Escaped control characters make the canonical JSON larger than its character count.
    const ctl = (n: number) => 'a' + '\u0001'.repeat(n - 2) + 'a';
    const big = {
      ...ok.profile,
      summary: ctl(600),
      display_name: ctl(80),
      framework_version: ctl(64),
      capabilities: Array.from({ length: 32 }, (_, i) => `${i}`.padEnd(40, 'x')),
      topics: Array.from({ length: 32 }, (_, i) => `${i}`.padEnd(40, 'y')),
      languages: Array.from({ length: 32 }, (_, i) => `${i}`.padEnd(40, 'z')),
    };
    await expectErr('alice', { ...ok, profile: big }, 400, ERR.profileTooLarge);
    await expectErr(
      'alice',
      { ...ok, profile_sig: signedProfile(bob, { framework: 'langchain' }).profile_sig },
      401,
      ERR.profileSigBad,
    );
    expect((await put('alice', ok)).status).toBe(201);
    await expectErr(
      'alice',
      signedProfile(alice, { framework: 'langchain' }, Date.now() - 60_000),
      409,
      ERR.profileStale,
    );
    const limited = await put('alice', ok);
    expect([limited.status, limited.json.error, limited.headers.get('retry-after')]).toEqual([
      429,
      ERR.rateLimited,
      '5',
    ]);
  });

  it('searches with filters and pagination, newest first; matches by shared tags', async () => {
    await setup();
    expect(
      (
        await put(
          'alice',
          signedProfile(alice, {
            framework: 'langchain',
            capabilities: ['search'],
            topics: ['news'],
            summary: 'Finds news',
          }),
        )
      ).status,
    ).toBe(201);
    await new Promise((res) => setTimeout(res, 5));
    expect(
      (
        await put(
          'bob',
          signedProfile(bob, {
            framework: 'langchain',
            capabilities: ['search', 'summarize'],
            topics: ['news'],
          }),
        )
      ).status,
    ).toBe(201);
    await new Promise((res) => setTimeout(res, 5));
    expect(
      (await put('carol', signedProfile(carol, { framework: 'crewai', languages: ['fr'] }))).status,
    ).toBe(201);
    const handles = async (q: string) =>
      (await call('GET', `${r!.url}/api/agents${q}`)).json.agents.map((a: { handle: string }) => a.handle);
    expect(await handles('')).toEqual(['carol', 'bob', 'alice']);
    expect(await handles('?framework=LangChain')).toEqual(['bob', 'alice']);
    expect(await handles('?capability=summarize')).toEqual(['bob']);
    expect(await handles('?q=finds%20NEWS')).toEqual(['alice']);
    expect(await handles('?language=fr&topic=news')).toEqual([]);
    const page1 = await call('GET', `${r!.url}/api/agents?limit=2`);
    expect(page1.headers.get('cache-control')).toBe('public, max-age=30');
    expect([page1.json.count, page1.json.next_cursor]).toEqual([2, 2]);
    const page2 = await call('GET', `${r!.url}/api/agents?limit=2&cursor=2`);
    expect([page2.json.agents.map((a: { handle: string }) => a.handle), page2.json.next_cursor]).toEqual([
      ['alice'],
      null,
    ]);

    const m = await call('GET', `${r!.url}/api/agents/matches?handle=@Alice`);
    expect(m.status).toBe(200);
    expect(
      m.json.agents.map((a: { handle: string; match_score: number }) => [a.handle, a.match_score]),
    ).toEqual([['bob', 3]]);
    expect([m.json.count, m.json.next_cursor]).toEqual([1, null]);
    expect((await call('GET', `${r!.url}/api/agents/matches`)).json).toEqual({
      error: ERR.matchesHandleRequired,
    });
    expect((await call('GET', `${r!.url}/api/agents/matches?handle=nobody`)).json).toEqual({
      error: ERR.profileNotFound,
    });

    for (const path of ['/agents.json', '/.well-known/bot2bot-agents']) {
      const d = await call('GET', `${r!.url}${path}`);
      expect(d.headers.get('cache-control')).toBe('public, max-age=30');
      expect(d.json).toMatchObject({
        schema: 'bot2bot.agent_directory.v1',
        directory: 'Bot2Bot.chat Agent Directory',
        contact_policy: 'signed_dm_first',
        endpoints: {
          search: '/api/agents',
          matches: '/api/agents/matches?handle=<handle>',
          profile: '/api/agents/<handle>',
        },
      });
      expect(d.json.agents).toHaveLength(3);
    }
  });

  it('DELETE and heartbeat are owner-signed; a heartbeat keeps a live agent listed without breaking its signature', async () => {
    const clock = new TestClock();
    await setup({}, clock);
    const hour = 3600_000;
    const body = signedProfile(alice, { expires_at: clock.now() + hour }, clock.now());
    expect((await put('alice', body)).status).toBe(201);
    expect((await call('POST', `${r!.url}/api/agents/alice/heartbeat`)).json).toEqual({
      error: ERR.badSignature,
    });
    expect((await call('POST', `${r!.url}/api/agents/nobody/heartbeat`)).json).toEqual({
      error: ERR.noSuchHandle,
    });
    clock.advance(50 * 60_000);
    const hb = await signed(r!.url, alice, 'POST', '/api/agents/alice/heartbeat', clock.now());
    expect(hb.status).toBe(200);
    expect(hb.json).toMatchObject({ ok: true, handle: 'alice', expires_at: body.profile.expires_at });
    expect(Math.abs(hb.json.listed_until - (clock.now() + hour))).toBeLessThan(1000);
    clock.advance(30 * 60_000); // past the signed expires_at, within the heartbeat extension
    const still = await call('GET', `${r!.url}/api/agents/alice`);
    expect(still.status).toBe(200);
    expect(still.json.agent.expires_at).toBe(body.profile.expires_at);
    expect(signatureHolds(still.json.agent, still.json.agent.sign_pub)).toBe(true);
    clock.advance(31 * 60_000); // no heartbeat for over an hour: gone
    expect((await call('GET', `${r!.url}/api/agents/alice`)).status).toBe(404);

    expect((await put('alice', signedProfile(alice, {}, clock.now()))).status).toBe(201);
    expect((await call('DELETE', `${r!.url}/api/agents/alice/profile`)).status).toBe(401);
    const del = await signed(r!.url, alice, 'DELETE', '/api/agents/alice/profile', clock.now());
    expect(del.json).toEqual({ ok: true, handle: 'alice' });
    expect((await call('GET', `${r!.url}/api/agents/alice`)).status).toBe(404);
    const gone = await signed(r!.url, alice, 'POST', '/api/agents/alice/heartbeat', clock.now());
    expect([gone.status, gone.json.error]).toEqual([404, ERR.profileNotFound]);
  });

  it('signed directory routes rate limit on auth:<handle> before verifying', async () => {
    await setup({ limits: { rateBucketCapacity: 3, rateBucketRefillPerS: 0.001 } });
    await call('POST', `${r!.url}/api/agents/alice/heartbeat`);
    await call('POST', `${r!.url}/api/agents/alice/heartbeat`);
    await call('POST', `${r!.url}/api/agents/alice/heartbeat`);
    const res = await signed(r!.url, alice, 'POST', '/api/agents/alice/heartbeat');
    expect([res.status, res.json.error, res.headers.get('retry-after')]).toEqual([429, ERR.rateLimited, '5']);
  });

  it('refuses a profile whose signature covers values the relay would rewrite', async () => {
    await setup();
    const now = Date.now();
    // Signed over a raw expires_at that the relay replaces: the signature cannot verify.
    const { signText } = await import('../../protocol/index.js');
    const raw = {
      schema: 'bot2bot.agent_profile.v1',
      handle: 'alice',
      updated_at: now,
      expires_at: now + 30 * 24 * 3600_000,
    };
    const sig = signText(profileSigningText(raw as unknown as AgentProfile), alice.signSecretKey);
    expect((await put('alice', { profile: raw, profile_sig: sig })).json).toEqual({
      error: ERR.profileSigBad,
    });
    expect(encodeBase64(new Uint8Array(1))).toBe('AA==');
  });
});
