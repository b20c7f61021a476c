/**
 * Runs every agent snippet the product shows (protocol/snippets.ts), verbatim through `bash -c`,
 * the way a new user on a fresh machine would: a fresh HOME, an empty npm cache, the tools fetched
 * from the relay's own /sdk/ (packed here first), third-party dependencies from the npm registry.
 * The relay listens on 127.0.0.2, which the MCP server does not treat as loopback, so its base-URL
 * allowlist is really exercised. Only the third-party host tools (`claude`, `pip`) are fakes on PATH: each records its
 * arguments and does what the real one would (start the configured server; check the modules).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentGuide } from '../../protocol/agentGuide.js';
import {
  SNIPPET_HELLO,
  SNIPPET_IDS,
  agentSnippets,
  mcpPackage,
  type Snippet,
} from '../../protocol/snippets.js';
import { Room } from '../sdk/index.js';
import { READMES, withSnippets } from '../docs/readmeSnippets.js';
import { startRelay, type TestRelay } from '../../test-support/relay.js';
import { ROOT } from './cli.js';
import { roomOn, tempDir, until } from './helpers.js';

const FAKE_CLAUDE = `#!/bin/bash
# Fake Claude Code: records its arguments, then starts the configured stdio server as the host would.
printf '%s\\n' "$@" > "$HOME/claude-args.txt"
[ "$1" = mcp ] && [ "$2" = add ] || { echo "fake claude: only 'mcp add' is supported" >&2; exit 64; }
shift 3
envs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case "$1" in
    -e|--env) envs+=("$2"); shift 2 ;;
    *) echo "fake claude: unexpected argument $1" >&2; exit 64 ;;
  esac
done
[ "$1" = "--" ] || { echo "fake claude: no -- before the server command" >&2; exit 64; }
shift
exec env "\${envs[@]}" "$@"
`;

const FAKE_PIP = `#!/bin/bash
# Fake pip: records its arguments and checks the modules it would install are importable.
printf '%s\\n' "$@" > "$HOME/pip-args.txt"
[ "$1" = install ] || exit 64
exec /usr/bin/python3 -c 'import nacl, requests'
`;

/**
 * 127.0.0.2: loopback, so nothing leaves the machine, but not a name the MCP server treats as
 * loopback (it trusts 127.0.0.1, localhost and ::1 without configuration), so its base-URL
 * allowlist is exercised as on a self-hosted relay.
 */
const SELF_HOSTED = '127.0.0.2';

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((f) => newestMtime(join(path, f))));
}

function tarballsStale(): boolean {
  const built = ['bot2bot.tgz', 'bot2bot-mcp.tgz'].map((f) => join(ROOT, 'dist', 'sdk', f));
  if (!built.every(existsSync)) return true;
  const sources = Math.max(
    ...['protocol', 'agent/sdk', 'agent/cli', 'agent/mcp', 'packages', 'package.json'].map((p) =>
      newestMtime(join(ROOT, p)),
    ),
  );
  return Math.min(...built.map((f) => statSync(f).mtimeMs)) < sources;
}

let relay: TestRelay;
let origin: string;
let home: { path: string; cleanup: () => void };
let env: Record<string, string>;
const running: ChildProcess[] = [];
let mcpFetched: Promise<number | null>;

beforeAll(async () => {
  // The tarballs the relay serves, built from this checkout (each package's prepack build), unless
  // both are newer than every file they are built from.
  if (tarballsStale())
    execFileSync(process.execPath, [join(ROOT, 'packages', 'pack.mjs')], { cwd: ROOT, stdio: 'pipe' });
  const host = SELF_HOSTED;
  relay = await startRelay({ host, redisUrl: null });
  origin = `http://${host}:${relay.port}`;
  home = tempDir('b2b-snippets-');
  const bin = join(home.path, 'fakebin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'claude'), FAKE_CLAUDE, { mode: 0o755 });
  writeFileSync(join(bin, 'pip'), FAKE_PIP, { mode: 0o755 });
  mkdirSync(join(home.path, 'work'));
  env = {
    HOME: home.path,
    PATH: `${bin}:/usr/bin:/bin`,
    LANG: 'C.UTF-8',
    npm_config_cache: join(home.path, '.npm'),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
  };
  // Most of the MCP server's first start is fetching its dependencies into the empty cache: do
  // that (start it once; it exits when stdin closes) while the CLI snippets run.
  mcpFetched = runSnippet(`npx -y ${mcpPackage(origin)}`).exited;
}, 120_000);

afterAll(async () => {
  for (const c of running) killGroup(c);
  await relay?.close();
  home?.cleanup();
});

function killGroup(c: ChildProcess): void {
  if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
    try {
      process.kill(-c.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
}

/** `bash -c TEXT` in its own process group (a snippet may start background jobs). */
function runSnippet(
  text: string,
  extraEnv: Record<string, string> = {},
): { child: ChildProcess; out: { stdout: string; stderr: string }; exited: Promise<number | null> } {
  const child = spawn('bash', ['-c', text], {
    cwd: join(home.path, 'work'),
    env: { ...env, ...extraEnv },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, out, exited };
}

function guideFile(nameEnd: string): string {
  for (const sec of agentGuide(origin))
    for (const b of sec.blocks) if (b.kind === 'file' && b.name.endsWith(nameEnd)) return b.text;
  throw new Error(`no file ${nameEnd} in the guide`);
}

function shown(id: string, roomLink: string): Snippet {
  const s = agentSnippets(origin, roomLink).find((x) => x.id === id);
  if (!s) throw new Error(`no snippet ${id}`);
  return s;
}

/**
 * Someone else in the room keeps saying a line until the listener has printed it (a listener may
 * start from "now", so one message posted too early would prove nothing).
 */
async function expectHears(
  id: string,
  link: string,
  p: ReturnType<typeof runSnippet>,
  printed: () => string = () => p.out.stdout,
): Promise<void> {
  const human = new Room(link, { name: 'human' });
  const text = `ping for ${id}`;
  try {
    await until(
      async () => {
        if (printed().includes(text)) return true;
        if (p.child.exitCode !== null) throw new Error(`${id} exited ${p.child.exitCode}: ${p.out.stderr}`);
        await human.send(text);
        await new Promise((r) => setTimeout(r, 1500));
        return printed().includes(text);
      },
      45_000,
      `${id} to print a message from another client (stderr: ${p.out.stderr.slice(-500)})`,
    );
  } finally {
    killGroup(p.child);
    await p.exited;
    human.close();
  }
}

async function expectListenerHears(id: string): Promise<void> {
  const link = roomOn(origin);
  const s = shown(id, link);
  expect(s.role).toBe('listen');
  await expectHears(id, link, runSnippet(s.text));
  if (id === 'python') {
    const observer = new Room(link, { name: 'observer' });
    const said = await observer.history();
    observer.close();
    expect(said.some((m) => m.sender === 'my-agent' && m.text === SNIPPET_HELLO)).toBe(true);
  }
}

async function expectMcpServer(
  id: string,
  transportFor: (s: Snippet) => StdioClientTransport,
): Promise<void> {
  expect(await mcpFetched).toBe(0);
  const link = roomOn(origin);
  const s = shown(id, link);
  expect(s.role).toBe('mcp');
  expect(s.after).toContain(link);
  const transport = transportFor(s);
  const client = new Client({ name: 'snippet-test', version: '0.0.0' });
  try {
    await client.connect(transport);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['send_message', 'claim_task', 'ack_task']),
    );
    const res = await client.callTool({
      name: 'send_message',
      arguments: { url: link, text: `posted by ${id}` },
    });
    expect(res.isError ?? false, JSON.stringify(res.content)).toBe(false);
    const observer = new Room(link, { name: 'observer' });
    expect((await observer.history()).map((m) => m.text)).toContain(`posted by ${id}`);
    observer.close();
  } finally {
    await client.close();
  }
}

/**
 * A launcher snippet drives a scripted host (agent/python/tests/fake_hosts.py stands in for codex
 * and claude): asked by a human, it answers in the room; told it may leave, it prints the release
 * line and the launcher exits 0.
 */
async function expectLauncherConverses(id: 'launch-codex' | 'launch-node', handle: string): Promise<void> {
  const link = roomOn(origin);
  const s = shown(id, link);
  expect(s.role).toBe('launch');
  const state = join(home.path, `launch-${id}`);
  mkdirSync(state);
  const fakes = join(state, 'bin');
  execFileSync(
    '/usr/bin/python3',
    ['-c', `import fake_hosts; fake_hosts.install(${JSON.stringify(fakes)})`],
    {
      cwd: join(ROOT, 'agent', 'python', 'tests'),
      env: { ...process.env, BOT2BOT_TEST_BASE: origin },
      stdio: 'pipe',
    },
  );
  const p = runSnippet(s.text, {
    PATH: `${fakes}:${env.PATH}`,
    FAKE_LOG: join(state, 'calls.jsonl'),
    FAKE_MCP_MARK: join(state, 'mcp-configured'),
    FAKE_STATE: join(state, 'cursor'),
    BOT2BOT_BACKOFF_BASE_SECONDS: '0.05',
  });
  const human = new Room(link, { name: 'human' });
  try {
    await human.send(`@${handle} what is 2+2?`);
    await until(
      async () => {
        if (p.child.exitCode !== null) throw new Error(`${id} exited ${p.child.exitCode}: ${p.out.stderr}`);
        return (await human.history()).some((m) => m.sender === handle && m.text === 'echo: what is 2+2?');
      },
      90_000,
      `${id}'s host to answer in the room (stderr: ${p.out.stderr.slice(-500)})`,
    );
    await human.send(`@${handle} you may leave`);
    expect(await p.exited, p.out.stderr).toBe(0);
    expect(p.out.stderr).toContain('released by the room');
    const calls = readFileSync(join(state, 'calls.jsonl'), 'utf8');
    expect(calls).toContain(`BOT2BOT_BASE=${origin}`);
    expect(calls).toContain(mcpPackage(origin));
  } finally {
    killGroup(p.child);
    human.close();
  }
}

describe('every agent snippet works verbatim against a self-hosted relay', () => {
  it('the relay serves both tool tarballs', async () => {
    for (const file of ['bot2bot.tgz', 'bot2bot-mcp.tgz']) {
      const res = await fetch(`${origin}/sdk/${file}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/gzip');
      expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
  });

  it("each tarball holds only its built code, with none of the relay's dependencies", () => {
    const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const name of ['bot2bot', 'bot2bot-mcp']) {
      const tgz = join(ROOT, 'dist', 'sdk', `${name}.tgz`);
      const files = execFileSync('tar', ['tzf', tgz], { encoding: 'utf8' }).trim().split('\n');
      expect(
        files.filter(
          (f) => !/^package\/(dist\/(agent|protocol)\/.+\.(js|d\.ts)|package\.json|README\.md)$/.test(f),
        ),
        name,
      ).toEqual([]);
      expect(
        files.some((f) => /test|bench|web\/|relay\//.test(f)),
        name,
      ).toBe(false);
      const pkg = JSON.parse(
        execFileSync('tar', ['xzOf', tgz, 'package/package.json'], { encoding: 'utf8' }),
      ) as {
        name: string;
        version: string;
        bin: Record<string, string>;
        dependencies: Record<string, string>;
      };
      expect(pkg.name).toBe(name);
      expect(pkg.version).toBe(rootPkg.version);
      expect(Object.keys(pkg.bin)).toEqual([name]);
      expect(files).toContain(`package/${pkg.bin[name]}`);
      expect(Object.keys(pkg.dependencies)).not.toContain('ioredis');
      expect(Object.keys(pkg.dependencies)).not.toContain('swagger-ui-dist');
    }
  });

  it('every snippet names this relay, and each role is covered below', () => {
    const all = agentSnippets(origin, 'LINK');
    for (const s of all) expect(s.text, s.id).toContain(`${origin}/`);
    for (const s of all.filter((x) => x.role === 'listen' || x.role === 'send'))
      expect(s.text, s.id).toContain('LINK');
    expect(all.map((s) => s.id).sort()).toEqual([...SNIPPET_IDS].sort());
    // Every snippet the agent guide shows is one of these, run below.
    const inGuide = agentGuide(origin).flatMap((sec) =>
      sec.blocks.flatMap((b) => (b.kind === 'snippet' ? [b.id] : [])),
    );
    expect(new Set(inGuide)).toEqual(new Set(SNIPPET_IDS.filter((id) => id !== 'cli-send' && id !== 'curl')));
  });

  it('README.md and agent/README.md show the snippets exactly as the one source renders them', () => {
    for (const file of READMES) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      expect(text, `${file}: run npm run docs:snippets`).toBe(withSnippets(text));
      expect(text).toContain('<!-- agent-snippets:begin');
    }
  });

  it('cli-listen prints what another client posts', () => expectListenerHears('cli-listen'), 90_000);

  it('cli-send posts a message the room receives', async () => {
    const link = roomOn(origin);
    const s = shown('cli-send', link);
    expect(s.role).toBe('send');
    const p = runSnippet(s.text);
    expect(await p.exited, p.out.stderr).toBe(0);
    const observer = new Room(link, { name: 'observer' });
    const msgs = await observer.history();
    observer.close();
    expect(msgs.some((m) => m.sender === 'my-agent' && m.text === SNIPPET_HELLO)).toBe(true);
  }, 60_000);

  it('the push trigger wakes on a message from someone else', () => expectListenerHears('trigger'), 60_000);

  it('one wait prints the next message and exits 0', async () => {
    const link = roomOn(origin);
    const p = runSnippet(shown('wait', link).text);
    await expectHears('wait', link, p);
    expect(await p.exited).toBe(0);
  }, 60_000);

  it(
    'the shell-loop supervisor keeps a listener in the room',
    () => expectListenerHears('supervise-loop'),
    60_000,
  );

  it('the curl snippet reads the transcript and a long-poll', async () => {
    const link = roomOn(origin);
    const human = new Room(link, { name: 'human' });
    await human.send('something to read');
    human.close();
    const s = shown('curl', link);
    expect(s.role).toBe('fetch');
    const p = runSnippet(s.text);
    expect(await p.exited, p.out.stderr).toBe(0);
    const [transcript, wait] = p.out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { messages: unknown[] });
    expect(transcript!.messages).toHaveLength(1);
    expect(wait!.messages).toHaveLength(1);
  }, 30_000);

  it('the OpenAPI snippet fetches the document', async () => {
    const s = shown('openapi', 'LINK');
    expect(s.role).toBe('fetch');
    const p = runSnippet(s.text);
    expect(await p.exited, p.out.stderr).toBe(0);
    expect(p.out.stdout).toContain('"openapi":"3.1');
  }, 30_000);

  it("the systemd unit's ExecStart, with its environment file, listens", async () => {
    const link = roomOn(origin);
    const unit = guideFile('bot2bot-listener@.service');
    const envFile = /^EnvironmentFile=(.+)$/m
      .exec(unit)![1]!
      .replace(/%h/g, home.path)
      .replace(/%i/g, 'myroom');
    const exec = /^ExecStart=(.+)$/m.exec(unit)![1]!.replace(/%h/g, home.path).replace(/%i/g, 'myroom');
    mkdirSync(join(envFile, '..'), { recursive: true });
    mkdirSync(join(home.path, '.local', 'state'), { recursive: true });
    writeFileSync(envFile, `BOT2BOT_ROOM_URL=${link}\n`, { mode: 0o600 });
    const out = join(home.path, '.local', 'state', 'bot2bot-myroom.jsonl');
    const p = runSnippet(`set -a; . ${envFile}; set +a; exec ${exec}`);
    await expectHears('systemd', link, p, () => (existsSync(out) ? readFileSync(out, 'utf8') : ''));
  }, 60_000);

  it("the launchd plist's ProgramArguments and EnvironmentVariables listen", async () => {
    const link = roomOn(origin);
    const plist = guideFile('.plist').replace('&lt;room link&gt;', link);
    const strings = (xml: string) => [...xml.matchAll(/<string>([^<]*)<\/string>/g)].map((m) => m[1]!);
    const argv = strings(/<key>ProgramArguments<\/key><array>([\s\S]*?)<\/array>/.exec(plist)![1]!);
    const [key, value] = [
      .../<key>EnvironmentVariables<\/key><dict>([\s\S]*?)<\/dict>/
        .exec(plist)![1]!
        .matchAll(/<(?:key|string)>([^<]*)</g),
    ].map((m) => m[1]!);
    expect(key).toBe('BOT2BOT_ROOM_URL');
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: join(home.path, 'work'),
      env: { ...env, [key!]: value! },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.push(child);
    const p = {
      child,
      out: { stdout: '', stderr: '' },
      exited: new Promise<number | null>((r) => child.on('close', (c) => r(c))),
    };
    child.stdout.on('data', (d: Buffer) => (p.out.stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (p.out.stderr += d.toString()));
    await expectHears('launchd', link, p);
  }, 60_000);

  it(
    'the no-restart --next loop prints each claimed message',
    () => expectListenerHears('next-loop'),
    60_000,
  );

  it('the Python snippet sends and prints', () => expectListenerHears('python'), 60_000);

  it(
    'the Codex launcher answers in the room and leaves when released',
    () => expectLauncherConverses('launch-codex', 'codex-exec-local'),
    120_000,
  );

  it(
    'the Node launcher keeps Claude Code in the room until released',
    () => expectLauncherConverses('launch-node', 'claude-code-local'),
    120_000,
  );

  it('claude mcp add starts a server that lists tools and posts', async () => {
    await expectMcpServer(
      'mcp-claude',
      (s) =>
        new StdioClientTransport({
          command: 'bash',
          args: ['-c', s.text],
          env,
          cwd: join(home.path, 'work'),
          stderr: 'pipe',
        }),
    );
    const args = readFileSync(join(home.path, 'claude-args.txt'), 'utf8').trim().split('\n');
    expect(args.slice(0, 3)).toEqual(['mcp', 'add', 'bot2bot']);
  }, 90_000);

  it('the MCP JSON config starts a server that lists tools and posts', async () => {
    await expectMcpServer('mcp-json', (s) => {
      const cfg = JSON.parse(s.text) as {
        mcpServers: { bot2bot: { command: string; args: string[]; env: Record<string, string> } };
      };
      const server = cfg.mcpServers.bot2bot;
      return new StdioClientTransport({
        command: server.command,
        args: server.args,
        env: { ...env, ...server.env },
        cwd: join(home.path, 'work'),
        stderr: 'pipe',
      });
    });
  }, 60_000);
});
