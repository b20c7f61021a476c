/**
 * What the web app's message markdown costs: `renderMarkdown` (markdown-it plus the tree build)
 * over normal messages and inputs built to be slow, at growing sizes, in µs per KiB. A linear
 * renderer keeps the whole message's µs/KiB flat as the size grows; a preview costs the same
 * whatever the size. "preview" is what a message costs on arrival;
 * "whole" is what Show all costs (plain text past 32 KiB, so only sizes up to that are parsed).
 * React and layout come on top in the browser; e2e/hostile-render.spec.ts measures those.
 *
 * Run: `npx tsx bench/render-markdown.ts [--json]`
 */
import { performance } from 'node:perf_hooks';
import { renderMarkdown, warmUpMarkdown } from '../web/src/room/markdown.js';

const KIB = 1024;
// 88 KiB: the size of the issue's `[a](` × 22,500 message.
const SIZES = [4 * KIB, 8 * KIB, 16 * KIB, 32 * KIB, 88 * KIB];

/** Repeat `unit` to `size` characters. */
const fill = (unit: string, size: number) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
const lines = (size: number, line: (i: number) => string) => {
  let s = '';
  for (let i = 0; s.length < size; i++) s += line(i) + '\n';
  return s.slice(0, size);
};

const CORPORA: Record<string, (size: number) => string> = {
  'agent report': (n) =>
    lines(
      n,
      (i) =>
        [
          `## Step ${i}`,
          `Ran \`npm test\` on **${i} files**; see [the log](https://ci.example/run/${i}) and https://docs.example/p${i}.`,
          `- [x] build\n- [ ] deploy ~~today~~\n  1. check @ops`,
          `| file | result |\n|---|:-:|\n| a${i}.ts | ok |\n| b${i}.ts | fail |`,
          '```ts\nconst x = 1;\n```',
          '> quoted note',
        ][i % 6]!,
    ),
  'chat prose': (n) => fill('Sounds good, I will look at it after lunch. Can you send the link? ', n),
  'unclosed links [a](': (n) => fill('[a](', n),
  'unclosed links [](( ': (n) => fill('[]((', n),
  'backtick runs': (n) => fill('`a``', n),
  'asterisk runs': (n) => fill('*a**', n),
  'underscores and tildes': (n) => fill('_a~~', n),
  'open brackets': (n) => '['.repeat(n >> 1) + ']'.repeat(n >> 1),
  '< runs': (n) => fill('<', n),
  'nested quotes': (n) => fill('>', n - 2) + ' x',
  'nested list': (n) => lines(n, (i) => '  '.repeat(i % 200) + '- x'),
  'long table': (n) => '| a | b | c |\n|---|---|---|\n' + fill('| x | y | z |\n', n),
  'wide header, short rows': (n) => '|a'.repeat(500) + '\n' + '|-'.repeat(500) + '\n' + fill('|x\n', n),
  'reference definitions': (n) => '[x]: https://a.example\n' + fill('[x]', n),
  'bare URLs': (n) => fill('https://a.example/p ', n),
};

function timeOf(fn: () => void): number {
  // The fastest of the runs within about 200 ms (at least 5), after two untimed runs: the work is
  // CPU-bound and deterministic, so anything slower is the machine's noise (shared cores, GC).
  fn();
  fn();
  let best = Infinity;
  const until = performance.now() + 200;
  for (let n = 0; n < 5 || (performance.now() < until && n < 300); n++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

for (let i = 0; i < 20; i++) warmUpMarkdown();
const rows: Array<{
  corpus: string;
  mode: 'preview' | 'whole';
  kib: number;
  ms: number;
  usPerKib: number;
  shown: string;
}> = [];
for (const [corpus, make] of Object.entries(CORPORA)) {
  for (const size of SIZES) {
    const text = make(size);
    for (const mode of ['preview', 'whole'] as const) {
      const whole = mode === 'whole';
      const r = renderMarkdown(text, whole);
      const ms = timeOf(() => renderMarkdown(text, whole));
      const shown =
        r.kind === 'md'
          ? `markdown${r.complete ? '' : ' (start)'}`
          : `plain: ${r.why}${r.complete ? '' : ' (start)'}`;
      rows.push({ corpus, mode, kib: size / KIB, ms, usPerKib: (ms * 1000) / (size / KIB), shown });
    }
  }
}

if (process.argv.includes('--json')) console.log(JSON.stringify({ node: process.version, rows }, null, 2));
else {
  console.log(`renderMarkdown, fastest of repeated calls, node ${process.version}`);
  console.log(
    `${'corpus'.padEnd(26)}${'mode'.padEnd(9)}${'KiB'.padStart(5)}${'ms'.padStart(9)}${'µs/KiB'.padStart(9)}  shown as`,
  );
  for (const r of rows) {
    console.log(
      `${r.corpus.padEnd(26)}${r.mode.padEnd(9)}${String(r.kib).padStart(5)}${r.ms.toFixed(2).padStart(9)}${r.usPerKib.toFixed(0).padStart(9)}  ${r.shown}`,
    );
  }
  const worst = (mode: string) => Math.max(...rows.filter((r) => r.mode === mode).map((r) => r.ms));
  console.log(
    `slowest preview: ${worst('preview').toFixed(2)} ms; slowest whole message: ${worst('whole').toFixed(2)} ms`,
  );
}
