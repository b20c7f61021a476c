/**
 * `bot2bot launch` with fake host binaries on PATH (the scripted agents of
 * agent/python/tests/fake_hosts.py) against a real relay, and beside agent_bot2bot.py.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type TestRelay } from '../../test-support/relay.js';
import { Room } from '../sdk/index.js';
import { CLI, ROOT, requireBuilt, runCli, startCli, stop } from './cli.js';
import { roomOn, tempDir, until } from './helpers.js';

const PYTHON = '/usr/bin/python3';
const PY_LAUNCHER = resolve(ROOT, 'agent/python/agent_bot2bot.py');

let r: TestRelay;
const dir = tempDir('b2b-launch-');
const bin = join(dir.path, 'bin');
const quiet = { onWarning: () => undefined };

function envFor(name: string, extra: Record<string, string> = {}): Record<string, string> {
  const home = join(dir.path, name);
  mkdirSync(home, { recursive: true });
  return {
    HOME: home,
    BOT2BOT_CONFIG_DIR: join(home, '.config', 'bot2bot'),
    PATH: `${bin}:${process.env.PATH}`,
    FAKE_LOG: join(home, 'calls.jsonl'),
    FAKE_MCP_MARK: join(home, 'mcp-configured'),
    FAKE_STATE: join(home, 'cursor'),
    BOT2BOT_BACKOFF_BASE_SECONDS: '0.01',
    ...extra,
  };
}

function calls(
  env: Record<string, string>,
): { argv: string[]; pid: number; handle_env: string | null; agents_env: string | null }[] {
  const log = env.FAKE_LOG!;
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

const lockOf = (env: Record<string, string>, url: string) =>
  join(env.BOT2BOT_CONFIG_DIR!, 'locks', `${url.split('/room/')[1]!.split('#')[0]}.lock`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  requireBuilt(CLI);
  r = await startRelay();
  const made = spawnSync(PYTHON, ['-c', `import fake_hosts; fake_hosts.install(${JSON.stringify(bin)})`], {
    cwd: resolve(ROOT, 'agent/python/tests'),
    env: { ...process.env, BOT2BOT_TEST_BASE: r.url },
    encoding: 'utf8',
  });
  expect(made.status, made.stderr).toBe(0);
});
afterAll(async () => {
  await r.close();
  dir.cleanup();
});

describe('bot2bot launch', () => {
  it('renders the same prompt as agent_bot2bot.py for every host, with no side effects', async () => {
    const url = roomOn(r.url);
    const env = envFor('prompt');
    const cases = [
      ['--host', 'codex'],
      ['--host', 'claude-code', '--release-sentinel', 'ALL_DONE'],
      ['--host', 'custom', '--cmd', 'gemini --prompt {prompt}', '--custom-handle', 'my-bot'],
    ];
    for (const args of cases) {
      const ts = await runCli(['launch', ...args, '--print-prompt', url], env);
      const py = spawnSync(PYTHON, [PY_LAUNCHER, ...args, '--print-prompt', url], {
        env: { ...process.env, ...env },
        encoding: 'utf8',
      });
      expect(ts.code, ts.stderr).toBe(0);
      expect(py.status, py.stderr).toBe(0);
      expect(ts.stdout).toBe(py.stdout);
      expect(ts.stdout).toContain(url);
    }
    expect(calls(env)).toEqual([]);
    expect(existsSync(env.BOT2BOT_CONFIG_DIR!)).toBe(false);
  });

  it('refuses bad input in one line with a non-zero exit and leaves nothing behind', async () => {
    const url = roomOn(r.url);
    const env = envFor('bad');
    const cases: [string[], number, RegExp][] = [
      [['launch', '--host', 'codex', 'https://example.org/not-a-room'], 2, /invalid room link/],
      [['launch', '--host', 'codex'], 2, /no room link/],
      [['launch', '--host', 'gemini', url], 2, /unknown --host "gemini"/],
      [['launch', '--host', 'custom', url], 2, /needs --cmd/],
      [['launch', '--host', 'custom', '--cmd', 'codex {prompt} | tee x', url], 2, /without shell operators/],
      [
        ['launch', '--host', 'custom', '--cmd', 'no-such-host {prompt}', url],
        127,
        /"no-such-host" not found on PATH/,
      ],
    ];
    for (const [args, code, reason] of cases) {
      const res = await runCli(args, env);
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(code);
      expect(res.stderr).toMatch(reason);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
    }
    const noCodex = await runCli(['launch', '--host', 'codex', url], { ...env, PATH: '/nonexistent' });
    expect(noCodex.code).toBe(127);
    expect(existsSync(lockOf(env, url))).toBe(false);
    expect(calls(env)).toEqual([]);
  });

  it('drives a scripted Codex through a conversation until the room releases it', async () => {
    const url = roomOn(r.url);
    const env = envFor('talk');
    const human = new Room(url, { name: 'human', ...quiet });
    const p = startCli(['launch', '--host', 'codex', url], env);
    const texts = async () => (await human.history()).map((m) => m.text);
    await human.send('@codex-exec-local what is 2+2?');
    await until(async () => (await texts()).includes('echo: what is 2+2?'), 30_000);
    await human.send('@codex-exec-local you may leave');
    expect(await p.exited).toBe(0);
    expect(p.output.stdout).toContain('BOT2BOT_RELEASED_BY_ROOM');
    expect(p.output.stderr).toContain('released by the room');
    expect(await texts()).toContain('bye');
    const adds = calls(env).filter((c) => c.argv[0] === 'mcp' && c.argv[1] === 'add');
    expect(adds.map((c) => c.argv)).toEqual([
      [
        'mcp',
        'add',
        'bot2bot',
        '--env',
        `BOT2BOT_BASE=${r.url}`,
        '--',
        'npx',
        '-y',
        `${r.url}/sdk/bot2bot-mcp.tgz`,
      ],
    ]);
    const runs = calls(env).filter((c) => c.argv[0] === 'exec');
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.every((c) => c.handle_env === 'codex-exec-local')).toBe(true);
    expect(runs.every((c) => c.agents_env === 'codex-exec-local')).toBe(true);
    expect(existsSync(lockOf(env, url))).toBe(false);
  }, 60_000);

  it('gives up on a host that keeps failing fast, with its exit code', async () => {
    const url = roomOn(r.url);
    const env = envFor('fail', { FAKE_MODE: 'fail', FAKE_RC: '7', BOT2BOT_MAX_FAST_FAILS: '3' });
    const res = await runCli(['launch', '--host', 'codex', url], env);
    expect(res.code).toBe(7);
    expect(res.stderr).toContain('giving up');
    expect(calls(env).filter((c) => c.argv[0] === 'exec')).toHaveLength(3);
  });

  it('shares the one-listener lock with agent_bot2bot.py, and ends its host when stopped', async () => {
    const url = roomOn(r.url);
    const env = envFor('lock', { FAKE_MODE: 'sleep' });
    const py = spawn(PYTHON, [PY_LAUNCHER, '--host', 'codex', url], {
      env: { ...process.env, ...env },
      stdio: 'ignore',
    });
    try {
      await until(() => calls(env).some((c) => c.argv[0] === 'exec'), 20_000);
      const refused = await runCli(['launch', '--host', 'codex', url], env);
      expect(refused.code).toBe(3);
      expect(refused.stderr).toContain(`pid ${py.pid}`);
    } finally {
      py.kill('SIGTERM');
      await new Promise((res) => py.once('close', res));
    }
    const ts = startCli(['launch', '--host', 'codex', url], env);
    await until(() => calls(env).filter((c) => c.argv[0] === 'exec').length >= 2, 20_000);
    const host = calls(env)
      .filter((c) => c.argv[0] === 'exec')
      .at(-1)!.pid;
    expect(alive(host)).toBe(true);
    const pyRefused = spawnSync(PYTHON, [PY_LAUNCHER, '--host', 'codex', url], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    expect(pyRefused.status).toBe(3);
    expect(pyRefused.stderr).toContain(`pid ${ts.child.pid}`);
    expect(await stop(ts)).toBe(130);
    await until(() => !alive(host), 10_000);
    expect(existsSync(lockOf(env, url))).toBe(false);
  }, 60_000);
});
