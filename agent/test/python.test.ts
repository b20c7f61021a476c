/**
 * Runs the Python SDK's unittest suite (agent/python/tests) with Debian's /usr/bin/python3
 * (python3-nacl, python3-requests) against real relays started here. The lease tests get a
 * second relay on a test clock plus a tiny control endpoint that moves that clock forward.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock, startRelay, type TestRelay } from '../../test-support/relay.js';

const PYTHON = '/usr/bin/python3';
const TESTS_DIR = 'agent/python/tests';

let relay: TestRelay;
let clockRelay: TestRelay;
let control: Server;
let controlUrl: string;
const clock = new TestClock();

function runUnittest(
  pattern: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-m', 'unittest', 'discover', '-s', TESTS_DIR, '-p', pattern, '-v'], {
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', ...env },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

function expectPassed(res: { code: number | null; output: string }): number {
  if (res.code !== 0) console.error(res.output);
  expect(res.code).toBe(0);
  const ran = /Ran (\d+) tests? in/.exec(res.output);
  expect(ran, res.output).not.toBeNull();
  const n = Number(ran?.[1]);
  expect(n).toBeGreaterThan(0);
  expect(res.output).toMatch(/\nOK\b/);
  expect(res.output).not.toMatch(/skipped/);
  return n;
}

beforeAll(async () => {
  relay = await startRelay();
  clockRelay = await startRelay({}, clock);
  control = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const ms = Number(url.searchParams.get('ms'));
    if (req.method !== 'POST' || url.pathname !== '/advance' || !Number.isFinite(ms) || ms < 0) {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'POST /advance?ms=<non-negative number>' }));
      return;
    }
    clock.advance(ms);
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ offset: clock.now() - Date.now() }));
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => control.close(() => resolve()));
  await clockRelay.close();
  await relay.close();
});

describe('Python SDK (agent/python/bot2bot.py)', () => {
  it('passes its unittest suite against a real relay', async () => {
    const n = expectPassed(await runUnittest('test*.py', { BOT2BOT_TEST_BASE: relay.url }));
    expect(n).toBeGreaterThanOrEqual(40);
  }, 240_000);

  it('re-delivers un-acked claims once the lease runs out (relay on a test clock)', async () => {
    expectPassed(
      await runUnittest('clock_*.py', {
        BOT2BOT_TEST_BASE: relay.url,
        BOT2BOT_TEST_CLOCK_BASE: clockRelay.url,
        BOT2BOT_TEST_CLOCK_CONTROL: controlUrl,
      }),
    );
  }, 120_000);
});
