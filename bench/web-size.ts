/**
 * Built web app sizes: every file in dist/web/assets with its gzip size, and the landing page's
 * initial JavaScript (the scripts and modulepreloads index.html names) against the 150 KB gzip
 * target. Run after `npm run build:web`: `npx tsx bench/web-size.ts [--json]`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const LANDING_JS_GZIP_LIMIT = 150 * 1024;

export interface WebSize {
  files: Array<{ file: string; bytes: number; gzip: number }>;
  initialJs: string[];
  initialJsGzip: number;
  withinTarget: boolean;
}

export function measureWeb(dir: string): WebSize {
  const assets = path.join(dir, 'assets');
  const files = readdirSync(assets)
    .filter((f) => statSync(path.join(assets, f)).isFile())
    .sort()
    .map((f) => {
      const data = readFileSync(path.join(assets, f));
      return { file: `assets/${f}`, bytes: data.length, gzip: gzipSync(data, { level: 9 }).length };
    });
  const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
  const refs = new Set<string>();
  for (const m of html.matchAll(/<script[^>]*\ssrc="([^"]+\.js)"/g)) refs.add(m[1]!);
  for (const m of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+\.js)"/g)) refs.add(m[1]!);
  const initialJs = [...refs].map((r) => r.replace(/^\//, ''));
  const initialJsGzip = files.filter((f) => initialJs.includes(f.file)).reduce((a, f) => a + f.gzip, 0);
  return { files, initialJs, initialJsGzip, withinTarget: initialJsGzip <= LANDING_JS_GZIP_LIMIT };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist/web');
  let r: WebSize;
  try {
    r = measureWeb(dir);
  } catch (e) {
    console.error(`web-size: ${(e as Error).message} (run \`npm run build:web\` first)`);
    process.exit(1);
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify(r, null, 2));
  else {
    const kb = (n: number) => (n / 1024).toFixed(1).padStart(8) + ' KiB';
    for (const f of r.files)
      console.log(
        `${f.file.padEnd(40)} ${kb(f.bytes)} ${kb(f.gzip)} gzip${r.initialJs.includes(f.file) ? '  (initial)' : ''}`,
      );
    console.log(
      `landing page initial JS: ${kb(r.initialJsGzip).trim()} gzip (target ≤ 150 KiB): ${r.withinTarget ? 'met' : 'NOT met'}`,
    );
  }
}
