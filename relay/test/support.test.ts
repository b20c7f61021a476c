import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ERR } from '../../protocol/index.js';
import { startRelay, type TestRelay } from '../../test-support/relay.js';
import { call, sleep } from './identity-helpers.js';

let r: TestRelay | null = null;
let dir: string | null = null;
afterEach(async () => {
  vi.restoreAllMocks();
  await r?.close();
  r = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

describe('POST /api/report', () => {
  it('records one operator-visible JSON line (stderr and the reports file), without the IP in clear', async () => {
    dir = mkdtempSync(join(tmpdir(), 'b2b-report-'));
    const file = join(dir, 'reports.jsonl');
    r = await startRelay({ reportsFile: file });
    const lines = captureStderr('report');
    const res = await call(
      'POST',
      `${r.url}/api/report`,
      { what: 'the docs page is blank', where: '/api/docs', severity: 'critical', extra: 'dropped' },
      { 'user-agent': 'test-agent/1' },
    );
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ ok: true, id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]!);
    expect(rec).toMatchObject({
      level: 'report',
      id: res.json.id,
      severity: 'critical',
      what: 'the docs page is blank',
      where: '/api/docs',
      ua: 'test-agent/1',
      ip_hash: expect.stringMatching(/^[0-9a-f]{12}$/),
    });
    expect(rec.extra).toBeUndefined();
    expect(lines[0]).not.toContain('127.0.0.1');
    for (let i = 0; i < 50 && !readFileSafe(file); i++) await sleep(20);
    const disk = readFileSafe(file).trim().split('\n');
    expect(disk).toHaveLength(1);
    expect(JSON.parse(disk[0]!)).toEqual(rec);
    // Unknown severities become medium.
    await call('POST', `${r.url}/api/report`, { what: 'another one', severity: 'apocalyptic' });
    expect(JSON.parse(lines[1]!).severity).toBe('medium');
  });

  it('requires "what" of 5–4000 characters', async () => {
    r = await startRelay();
    for (const body of [{}, { what: 'abc' }, { what: '    abcd    ' }, { what: 42 }, '[1]']) {
      const res = await call('POST', `${r.url}/api/report`, body);
      expect([res.status, res.json.error]).toEqual([400, ERR.reportWhatRequired]);
    }
    const long = await call('POST', `${r.url}/api/report`, { what: 'x'.repeat(10_000) });
    expect(long.status).toBe(200);
  });

  it('rate limits on the bugs bucket only (429, Retry-After 10), not the global one', async () => {
    r = await startRelay({
      limits: {
        rateBucketCapacity: 3,
        rateBucketRefillPerS: 0.001,
        globalBucketCapacity: 1,
        globalBucketRefillPerS: 0.001,
      },
    });
    for (let i = 0; i < 3; i++)
      expect((await call('POST', `${r.url}/api/report`, { what: `report number ${i}` })).status).toBe(200);
    const res = await call('POST', `${r.url}/api/report`, { what: 'one too many' });
    expect([res.status, res.json.error, res.headers.get('retry-after')]).toEqual([
      429,
      ERR.rateLimited,
      '10',
    ]);
  });
});

describe('POST /api/contact', () => {
  it('hands the note to the operator as one JSON line on stderr, and stores nothing', async () => {
    dir = mkdtempSync(join(tmpdir(), 'b2b-contact-'));
    const file = join(dir, 'reports.jsonl');
    r = await startRelay({ reportsFile: file });
    const lines = captureStderr('contact');
    const res = await call(
      'POST',
      `${r.url}/api/contact`,
      { message: '  hello, can we self-host?  ', name: 'Ada', email: 'ada@example.org', extra: 'dropped' },
      { 'user-agent': 'test-agent/1' },
    );
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ ok: true, id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]!);
    expect(rec).toEqual({
      level: 'contact',
      id: res.json.id,
      ts: expect.any(Number),
      message: 'hello, can we self-host?',
      name: 'Ada',
      email: 'ada@example.org',
      ua: 'test-agent/1',
      ip_hash: expect.stringMatching(/^[0-9a-f]{12}$/),
    });
    expect(lines[0]).not.toContain('127.0.0.1');
    // Name and email are optional; over-long fields are cut, not refused.
    const bare = await call('POST', `${r.url}/api/contact`, { message: 'hi!', name: 'n'.repeat(500) });
    expect(bare.status).toBe(200);
    expect(JSON.parse(lines[1]!)).toMatchObject({ message: 'hi!', name: 'n'.repeat(200), email: '' });
    await sleep(100);
    expect(readFileSafe(file)).toBe('');
  });

  it('requires "message" of 3–4000 characters and an email that looks like one', async () => {
    r = await startRelay();
    for (const body of [
      {},
      { message: 'ab' },
      { message: '   ab   ' },
      { message: 42 },
      { name: 'Ada', email: 'ada@example.org' },
      '[1]',
    ]) {
      const res = await call('POST', `${r.url}/api/contact`, body);
      expect([res.status, res.json.error]).toEqual([400, ERR.contactMessageRequired]);
    }
    for (const email of [
      'ada',
      'ada@',
      '@example.org',
      'ada@example',
      'a da@example.org',
      'ada@@example.org',
    ]) {
      const res = await call('POST', `${r.url}/api/contact`, { message: 'hello there', email });
      expect([email, res.status, res.json.error]).toEqual([email, 400, ERR.contactEmailMalformed]);
    }
    expect(
      (
        await call('POST', `${r.url}/api/contact`, {
          message: 'x'.repeat(10_000),
          email: 'a.b+c@mail.example.co.uk',
        })
      ).status,
    ).toBe(200);
  });

  it('rate limits on its own bucket (429, Retry-After 10)', async () => {
    r = await startRelay({ limits: { rateBucketCapacity: 2, rateBucketRefillPerS: 0.001 } });
    for (let i = 0; i < 2; i++)
      expect((await call('POST', `${r.url}/api/contact`, { message: `note ${i}` })).status).toBe(200);
    const res = await call('POST', `${r.url}/api/contact`, { message: 'one too many' });
    expect([res.status, res.json.error, res.headers.get('retry-after')]).toEqual([
      429,
      ERR.rateLimited,
      '10',
    ]);
    // Its bucket is not the bug reports' one.
    expect((await call('POST', `${r.url}/api/report`, { what: 'still reachable' })).status).toBe(200);
  });

  it('also takes from the per-IP global bucket, as every action but reports does (reference §6)', async () => {
    r = await startRelay({ limits: { globalBucketCapacity: 1, globalBucketRefillPerS: 0.001 } });
    expect((await call('POST', `${r.url}/api/contact`, { message: 'first note' })).status).toBe(200);
    const res = await call('POST', `${r.url}/api/contact`, { message: 'second note' });
    expect([res.status, res.json.error, res.headers.get('retry-after')]).toEqual([
      429,
      ERR.rateLimited,
      '10',
    ]);
  });
});

/** The JSON lines of one level the relay writes to stderr from now on (still written through). */
function captureStderr(level: string): string[] {
  const lines: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk === 'string' && chunk.includes(`"level":"${level}"`)) lines.push(chunk);
    return orig(chunk as string, ...(rest as []));
  }) as typeof process.stderr.write);
  return lines;
}

function readFileSafe(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}
