/**
 * Files between a browser and agents that are not the TypeScript SDK: the `bot2bot` CLI
 * (`--file`, `download`), the MCP server (`send_file`, `fetch_file`) and the Python SDK
 * (`send_file`, `download`), each as a real child process. Each sends a file the browser
 * downloads byte-identical, and fetches one the browser sent, byte-identical.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Page } from '@playwright/test';
import { CLI, MCP, requireBuilt, runCli } from '../agent/test/cli.js';
import { test, expect, createRoom } from './fixtures.js';

let dir = '';
test.beforeAll(() => {
  requireBuilt(CLI);
  requireBuilt(MCP);
  dir = mkdtempSync(join(tmpdir(), 'b2b-e2e-agentfiles-'));
});
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function downloaded(page: Page, name: string): Promise<Buffer> {
  const card = page
    .locator('article.bubble:not(.is-pending)')
    .filter({ has: page.locator(`.file-card[data-file-name="${name}"]`) });
  await expect(card).toBeVisible({ timeout: 20_000 });
  const [dl] = await Promise.all([
    page.waitForEvent('download'),
    card.getByRole('button', { name: `Download ${name}` }).click(),
  ]);
  const parts: Buffer[] = [];
  for await (const c of await dl.createReadStream()) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Attach a file in the browser; answers the id of its message once the relay stored it. */
async function attach(page: Page, name: string, bytes: Buffer): Promise<string> {
  await page
    .locator('[data-testid=attach-input]')
    .setInputFiles({ name, mimeType: 'application/octet-stream', buffer: bytes });
  const mine = page
    .locator('article.bubble:not(.is-pending)')
    .filter({ has: page.locator(`.file-card[data-file-name="${name}"]`) });
  await expect(mine.locator('.you')).toBeVisible({ timeout: 20_000 });
  return (await mine.getAttribute('data-msg-id'))!;
}

function python(code: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      '/usr/bin/python3',
      ['-c', `import sys\nsys.path.insert(0, 'agent/python')\n${code}`],
      {
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...env },
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (c) => (c === 0 ? resolve(out) : reject(new Error(`python exited ${c}: ${err}`))));
  });
}

test('the CLI, the MCP server and the Python SDK each move a file to a browser and back', async ({
  newPage,
  relay,
}) => {
  const page = await newPage();
  const url = await createRoom(page, relay);
  const env = { BOT2BOT_CONFIG_DIR: join(dir, 'config'), HOME: dir };

  // CLI: send --file, then download the browser's file by its message id.
  const cliOut = randomBytes(700_000);
  writeFileSync(join(dir, 'cli.bin'), cliOut);
  const sent = await runCli([url, '--name', 'cli-bot', '--file', join(dir, 'cli.bin')], env);
  expect(sent.code, sent.stderr).toBe(0);
  expect((await downloaded(page, 'cli.bin')).equals(cliOut)).toBe(true);
  const toCli = randomBytes(300_000);
  const cliId = await attach(page, 'to-cli.bin', toCli);
  const got = await runCli(['download', url, cliId, '--out', join(dir, 'from-browser-cli.bin')], env);
  expect(got.code, got.stderr).toBe(0);
  expect(readFileSync(join(dir, 'from-browser-cli.bin')).equals(toCli)).toBe(true);

  // MCP: send_file from a path, fetch_file to a path.
  const client = new Client({ name: 'e2e-host', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [MCP],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        BOT2BOT_CONFIG_DIR: join(dir, 'mcp'),
        BOT2BOT_BASE: relay.url,
        BOT2BOT_MCP_ROOM_NAME: 'mcp-bot',
      },
      stderr: 'pipe',
    }),
  );
  try {
    const call = async (name: string, args: Record<string, unknown>) => {
      const res = (await client.callTool({ name, arguments: args })) as {
        content: Array<{ text?: string }>;
        isError?: boolean;
      };
      const text = res.content.map((c) => c.text ?? '').join('\n');
      expect(res.isError ?? false, text).toBe(false);
      return text;
    };
    const mcpOut = randomBytes(500_000);
    writeFileSync(join(dir, 'mcp.bin'), mcpOut);
    await call('send_file', { url, path: join(dir, 'mcp.bin') });
    expect((await downloaded(page, 'mcp.bin')).equals(mcpOut)).toBe(true);
    const toMcp = randomBytes(200_000);
    const mcpId = await attach(page, 'to-mcp.bin', toMcp);
    await call('fetch_file', { url, message_id: mcpId, dest: join(dir, 'from-browser-mcp.bin') });
    expect(readFileSync(join(dir, 'from-browser-mcp.bin')).equals(toMcp)).toBe(true);
  } finally {
    await client.close();
  }

  // Python: send_file, then download the browser's file found in history.
  const pyOut = randomBytes(400_000);
  writeFileSync(join(dir, 'py.bin'), pyOut);
  await python(
    `from bot2bot import Room\nimport os\nRoom(os.environ['URL'], name='py-bot', heartbeat=False).send_file(os.environ['SRC'])`,
    { URL: url, SRC: join(dir, 'py.bin') },
  );
  expect((await downloaded(page, 'py.bin')).equals(pyOut)).toBe(true);
  const toPy = randomBytes(250_000);
  const pyId = await attach(page, 'to-py.bin', toPy);
  await python(
    [
      'from bot2bot import Room',
      'import os',
      "room = Room(os.environ['URL'], name='py-bot', heartbeat=False)",
      "m = [x for x in room.history(limit=500) if x.id == os.environ['ID']][0]",
      "room.download(m, os.environ['DEST'])",
    ].join('\n'),
    { URL: url, ID: pyId, DEST: join(dir, 'from-browser-py.bin') },
  );
  expect(readFileSync(join(dir, 'from-browser-py.bin')).equals(toPy)).toBe(true);
});
