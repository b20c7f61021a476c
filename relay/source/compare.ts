#!/usr/bin/env node
/**
 * Run from a checkout after `npm ci && npm run build`:
 *   node dist/node/relay/source/compare.js               prints this build's list (sha256sum format)
 *   node dist/node/relay/source/compare.js <relay-url>   compares it with the relay's /source.sha256
 * Exits 1 when any listed file differs or is missing here, or when this build has files of a listed
 * kind that the relay does not list.
 */
import { join } from 'node:path';
import { repoRoot } from '../repoRoot.js';
import { hashSourceFiles, parseSha256sum, sha256sumText } from './hashes.js';

/** The folders a list is made of; a relay without a web app lists no dist/web files. */
const group = (path: string) =>
  path.startsWith('dist/web/')
    ? 'dist/web'
    : path.startsWith('dist/node/')
      ? 'dist/node'
      : path.startsWith('agent/python/')
        ? 'agent/python'
        : path;

async function main(): Promise<number> {
  const root = repoRoot();
  const local = await hashSourceFiles({ root, webDir: join(root, 'dist', 'web') });
  const target = process.argv[2];
  if (target === undefined) {
    process.stdout.write(sha256sumText(local));
    return 0;
  }
  const url = `${target.replace(/\/+$/, '')}/source.sha256`;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  const served = parseSha256sum(await res.text());
  const mine = new Map(local.map((f) => [f.path, f.sha256]));
  const groups = new Set([...served.keys()].map(group));
  const problems: string[] = [];
  for (const [path, sha] of served) {
    const have = mine.get(path);
    if (have === undefined) problems.push(`missing here:   ${path}`);
    else if (have !== sha) problems.push(`different:      ${path}`);
  }
  for (const path of mine.keys())
    if (groups.has(group(path)) && !served.has(path)) problems.push(`not listed:     ${path}`);
  for (const p of problems) console.log(p);
  console.log(
    problems.length === 0
      ? `OK: all ${served.size} files the relay lists match this build`
      : `${problems.length} of ${served.size} files do not match`,
  );
  return problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(2);
  },
);
