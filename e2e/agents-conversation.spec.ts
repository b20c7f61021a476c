/**
 * A person in the browser and every kind of agent in one room: the CLI (listen and send), the
 * Python SDK, the MCP server and the listener launcher driving a scripted host (the fake `codex`
 * of agent/python/tests/fake_hosts.py). Each hears the person and the person sees each answer.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { bubble, createRoom, expect, send, test } from './fixtures.js';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist/node/agent/cli/main.js');
const MCP = join(ROOT, 'dist/node/agent/mcp/main.js');

function start(
  cmd: string,
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, out: () => out, exited: new Promise((r) => child.on('close', (c) => r(c))) };
}

const PY_AGENT = `
import sys, time
sys.path.insert(0, ${JSON.stringify(join(ROOT, 'agent/python'))})
import bot2bot
room = bot2bot.Room(sys.argv[1], name="py-bot", heartbeat=False)
after = int(room.status().get("last_seq") or 0)
print("ready", flush=True)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    for m in room.poll(after=after, timeout=5):
        after = m.seq
        if m.text and "@py-bot" in m.text:
            room.send("py heard: " + m.text.replace("@py-bot", "").strip(), reply_to=m.id)
            sys.exit(0)
sys.exit(1)
`;

test('a person in the browser talks with the CLI, the Python SDK, the MCP server and a launched host', async ({
  newPage,
  relay,
}) => {
  test.setTimeout(180_000);
  const home = mkdtempSync(join(tmpdir(), 'b2b-agents-'));
  const running: ChildProcess[] = [];
  try {
    const page = await newPage();
    const url = await createRoom(page, relay);
    const env = { HOME: home, BOT2BOT_CONFIG_DIR: join(home, '.config', 'bot2bot'), BOT2BOT_ROOM_URL: url };

    // CLI: a listener hears the person; a one-shot send shows in the browser.
    const listener = start(process.execPath, [CLI, 'listen', '--name', 'cli-bot'], env);
    running.push(listener.child);
    await expect
      .poll(
        async () => {
          await send(page, '@cli-bot are you there?');
          return listener.out().includes('@cli-bot are you there?');
        },
        { timeout: 30_000, intervals: [2_000] },
      )
      .toBe(true);
    // Not spawnSync: the relay runs in this process and must keep serving meanwhile.
    const said = start(process.execPath, [CLI, 'send', '--name', 'cli-sender', 'hello from the CLI'], env);
    expect(await said.exited, said.out()).toBe(0);
    await expect(bubble(page, 'hello from the CLI')).toBeVisible();

    // Python SDK: answers when addressed.
    const py = start('/usr/bin/python3', ['-c', PY_AGENT, url], env);
    running.push(py.child);
    await expect.poll(py.out, { timeout: 20_000 }).toContain('ready');
    await send(page, '@py-bot what is the time?');
    await expect(bubble(page, 'py heard: what is the time?')).toBeVisible({ timeout: 30_000 });
    expect(await py.exited).toBe(0);

    // MCP: posts, claims the person's question, answers and acks.
    const mcp = new Client({ name: 'e2e', version: '0.0.0' });
    await mcp.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [MCP],
        env: { ...process.env, ...env, BOT2BOT_BASE: relay.url, BOT2BOT_MCP_HANDLE: 'mcp-e2e-bot' },
        stderr: 'pipe',
      }),
    );
    try {
      const hello = await mcp.callTool({
        name: 'send_message',
        arguments: { url, text: 'hello from MCP', name: 'mcp-bot' },
      });
      expect(hello.isError ?? false, JSON.stringify(hello.content)).toBe(false);
      await expect(bubble(page, 'hello from MCP')).toBeVisible();
      await send(page, '@mcp-bot please summarise');
      type Claim = { status: string; claim_id?: string; message?: { seq: number; id: string; text: string } };
      let claimed: Claim | undefined;
      await expect
        .poll(
          async () => {
            const res = await mcp.callTool({ name: 'claim_task', arguments: { url, timeout_seconds: 5 } });
            const c = res.structuredContent as Claim | undefined;
            if (c?.message?.text.includes('please summarise')) claimed = c;
            else if (c?.claim_id !== undefined && c.message)
              await mcp.callTool({
                name: 'ack_task',
                arguments: { url, claim_id: c.claim_id, seq: c.message.seq },
              });
            return claimed !== undefined;
          },
          { timeout: 60_000, intervals: [100] },
        )
        .toBe(true);
      const answer = await mcp.callTool({
        name: 'send_message',
        arguments: { url, text: 'MCP summary: all quiet', name: 'mcp-bot', reply_to: claimed!.message!.id },
      });
      expect(answer.isError ?? false, JSON.stringify(answer.content)).toBe(false);
      const ack = await mcp.callTool({
        name: 'ack_task',
        arguments: { url, claim_id: claimed!.claim_id, seq: claimed!.message!.seq },
      });
      expect(ack.isError ?? false, JSON.stringify(ack.content)).toBe(false);
      await expect(bubble(page, 'MCP summary: all quiet')).toBeVisible();
    } finally {
      await mcp.close();
    }

    // The listener launcher keeps a scripted Codex in the room until the person releases it.
    const fakes = join(home, 'fakebin');
    const made = spawnSync(
      '/usr/bin/python3',
      ['-c', `import fake_hosts; fake_hosts.install(${JSON.stringify(fakes)})`],
      {
        cwd: join(ROOT, 'agent/python/tests'),
        env: { ...process.env, BOT2BOT_TEST_BASE: relay.url },
        encoding: 'utf8',
      },
    );
    expect(made.status, made.stderr).toBe(0);
    const launcher = start(process.execPath, [CLI, 'launch', '--host', 'codex'], {
      ...env,
      PATH: `${fakes}:${process.env.PATH}`,
      FAKE_MCP_MARK: join(home, 'mcp-configured'),
      FAKE_STATE: join(home, 'codex-cursor'),
      BOT2BOT_BACKOFF_BASE_SECONDS: '0.05',
    });
    running.push(launcher.child);
    await send(page, '@codex-exec-local what is 2+2?');
    await expect(bubble(page, 'echo: what is 2+2?')).toBeVisible({ timeout: 60_000 });
    await send(page, '@codex-exec-local you may leave');
    expect(await launcher.exited, launcher.out()).toBe(0);
    await expect(bubble(page, 'bye')).toBeVisible();
  } finally {
    for (const c of running) if (c.exitCode === null) c.kill('SIGTERM');
    rmSync(home, { recursive: true, force: true });
  }
});
