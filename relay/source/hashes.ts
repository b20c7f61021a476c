/**
 * The files a relay serves and runs, and their SHA-256: the compiled relay and SDK (dist/node),
 * the web app it serves (dist/web), the Python SDK it hands out, and the package manifest and
 * lockfile that pin every dependency by integrity hash. Paths are relative to the repository
 * root, so a fresh `npm ci && npm run build` of the same commit yields the same list.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface SourceFile {
  /** Relative to the repository root, with `/` separators. */
  path: string;
  sha256: string;
  bytes: number;
}

/** Where each listed folder is read from; the label is how it appears in the list. */
export interface SourceLayout {
  root: string;
  /** The served web app, listed as dist/web/… (null: the relay serves none). */
  webDir: string | null;
}

const TOP_FILES = ['package.json', 'package-lock.json'];

async function walk(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

const slash = (p: string) => p.split(sep).join('/');

/** [label, absolute path] for every file in the list, sorted by label. */
async function listFiles(layout: SourceLayout): Promise<Array<[string, string]>> {
  const pairs: Array<[string, string]> = [];
  for (const f of TOP_FILES) {
    const abs = join(layout.root, f);
    if (await isFile(abs)) pairs.push([f, abs]);
  }
  const python = join(layout.root, 'agent', 'python');
  for (const abs of await readdir(python).then(
    (names) => names.filter((n) => n.endsWith('.py')).map((n) => join(python, n)),
    () => [],
  )) {
    if (await isFile(abs)) pairs.push([slash(relative(layout.root, abs)), abs]);
  }
  const nodeDir = join(layout.root, 'dist', 'node');
  for (const abs of await walk(nodeDir)) pairs.push([`dist/node/${slash(relative(nodeDir, abs))}`, abs]);
  if (layout.webDir !== null) {
    for (const abs of await walk(layout.webDir))
      pairs.push([`dist/web/${slash(relative(layout.webDir, abs))}`, abs]);
  }
  return pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** One file at a time through a stream: the heap holds a chunk, not the build. */
function hashFile(abs: string): Promise<{ sha256: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    let bytes = 0;
    createReadStream(abs)
      .on('data', (c) => {
        bytes += c.length;
        h.update(c);
      })
      .on('error', reject)
      .on('end', () => resolve({ sha256: h.digest('hex'), bytes }));
  });
}

export async function hashSourceFiles(layout: SourceLayout): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  for (const [path, abs] of await listFiles(layout)) out.push({ path, ...(await hashFile(abs)) });
  return out;
}

/** The `sha256sum` format: `sha256sum -c` reads it back. */
export function sha256sumText(files: readonly SourceFile[]): string {
  return files.map((f) => `${f.sha256}  ${f.path}\n`).join('');
}

/** Parses `sha256sum` output; lines that are not `<64 hex>  <path>` are an error. */
export function parseSha256sum(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!m) throw new Error(`not a sha256sum line: ${JSON.stringify(line.slice(0, 100))}`);
    out.set(m[2]!, m[1]!);
  }
  return out;
}
