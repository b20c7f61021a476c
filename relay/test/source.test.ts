import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../test-support/clients.js';
import { startRelay, type TestRelay } from '../../test-support/relay.js';
import { repoRoot } from '../repoRoot.js';

const root = repoRoot();
const webDir = join(root, 'dist', 'web');

/** Written apart from relay/source/hashes.ts on purpose: the list is checked, not re-derived. */
function filesOnDisk(web: string): Map<string, string> {
  const out = new Map<string, string>();
  const add = (label: string, abs: string) =>
    out.set(label, createHash('sha256').update(readFileSync(abs)).digest('hex'));
  const walk = (dir: string, prefix: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (e.isFile())
        add(`${prefix}/${relative(dir, join(e.parentPath, e.name))}`, join(e.parentPath, e.name));
    }
  };
  add('package.json', join(root, 'package.json'));
  add('package-lock.json', join(root, 'package-lock.json'));
  for (const n of readdirSync(join(root, 'agent', 'python')))
    if (n.endsWith('.py')) add(`agent/python/${n}`, join(root, 'agent', 'python', n));
  walk(join(root, 'dist', 'node'), 'dist/node');
  walk(web, 'dist/web');
  return out;
}

/**
 * Runs a command exactly as the page shows it, in the checkout. Asynchronously: the relay it
 * talks to runs in this process.
 */
function sh(command: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

let r: TestRelay;
let tmp: string;
beforeAll(async () => {
  // `npm test` builds before the unit tests; this file reads that build.
  for (const f of ['dist/node/relay/main.js', 'dist/node/relay/source/compare.js', 'dist/web/index.html']) {
    if (!existsSync(join(root, f))) throw new Error(`${f} is missing: run \`npm run build\` first`);
  }
  tmp = mkdtempSync(join(tmpdir(), 'b2b-source-'));
  r = await startRelay({
    webDir,
    sourceRepoUrl: 'https://example.org/bot2bot-relay.git',
    sourceCommit: 'abcdef0123456789abcdef0123456789abcdef01',
  });
});
afterAll(async () => {
  await r.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('/source', () => {
  it('lists the SHA-256 of every file the relay serves and runs, as they are on disk', async () => {
    const res = await requestJson('GET', `${r.url}/api/source`);
    expect(res.status).toBe(200);
    const listed = new Map(
      (res.json.files as Array<{ path: string; sha256: string; bytes: number }>).map((f) => [
        f.path,
        f.sha256,
      ]),
    );
    expect(listed).toEqual(filesOnDisk(webDir));
    for (const must of [
      'dist/node/relay/main.js',
      'dist/node/relay/server.js',
      'dist/web/index.html',
      'agent/python/bot2bot.py',
      'package.json',
      'package-lock.json',
    ]) {
      expect(listed.has(must), must).toBe(true);
    }
    expect(res.json).toMatchObject({
      repository: 'https://example.org/bot2bot-relay.git',
      commit: 'abcdef0123456789abcdef0123456789abcdef01',
      node: process.version,
    });
  });

  it('serves the same list as sha256sum text and as a page with the instructions', async () => {
    const api = (await requestJson('GET', `${r.url}/api/source`)).json;
    const list = await (await fetch(`${r.url}/source.sha256`)).text();
    const lines = list.trimEnd().split('\n');
    expect(lines).toEqual(api.files.map((f: { path: string; sha256: string }) => `${f.sha256}  ${f.path}`));
    const page = await (await fetch(`${r.url}/source`)).text();
    expect(page).toContain(list);
    expect(api.verify.rebuild).toEqual([
      'git clone https://example.org/bot2bot-relay.git bot2bot-relay-source',
      'cd bot2bot-relay-source',
      'git checkout abcdef0123456789abcdef0123456789abcdef01',
      'npm ci',
      'npm run build',
    ]);
    for (const c of [...api.verify.rebuild, ...api.verify.compare]) expect(page).toContain(`\n  ${c}\n`);
  });

  it('the compare commands it shows, run verbatim in this checkout, agree with it', async () => {
    const { compare } = (await requestJson('GET', `${r.url}/api/source`)).json.verify as {
      compare: string[];
    };
    expect(compare).toEqual([
      `node dist/node/relay/source/compare.js ${r.url}`,
      `curl -fsS ${r.url}/source.sha256 | sha256sum -c --quiet`,
    ]);
    const ours = await sh(compare[0]!);
    expect([ours.status, ours.stdout.trim().split('\n').pop()]).toEqual([
      0,
      `OK: all ${filesOnDisk(webDir).size} files the relay lists match this build`,
    ]);
    const std = await sh(compare[1]!);
    expect([std.status, std.stdout, std.stderr]).toEqual([0, '', '']);
    // Without an argument, the script prints this checkout's list: the relay's, byte for byte.
    expect((await sh('node dist/node/relay/source/compare.js')).stdout).toBe(
      await (await fetch(`${r.url}/source.sha256`)).text(),
    );
  });

  it('a file swapped on the server fails both comparisons', async () => {
    const web = join(tmp, 'web');
    cpSync(webDir, web, { recursive: true });
    writeFileSync(
      join(web, 'index.html'),
      readFileSync(join(web, 'index.html'), 'utf8').replace(
        '</body>',
        '<script src="https://evil.invalid/x.js"></script></body>',
      ),
    );
    const swapped = await startRelay({ webDir: web });
    try {
      const v = (await requestJson('GET', `${swapped.url}/api/source`)).json.verify as {
        rebuild: string[];
        compare: string[];
        notes: string[];
      };
      // Nothing to clone or check out when the operator did not say: the page says so instead.
      expect(v.rebuild).toEqual(['npm ci', 'npm run build']);
      expect(v.notes.join(' ')).toContain('SOURCE_REPO_URL is unset');
      const ours = await sh(v.compare[0]!);
      expect(ours.status).toBe(1);
      expect(ours.stdout).toContain('different:      dist/web/index.html');
      const std = await sh(v.compare[1]!);
      expect(std.status).toBe(1);
      expect(std.stdout).toContain('dist/web/index.html: FAILED');
    } finally {
      await swapped.close();
    }
  });
});
