/**
 * The agent snippets inside README.md and agent/README.md, rendered from protocol/snippets.ts
 * between `<!-- agent-snippets:begin ID,ID… -->` and `<!-- agent-snippets:end -->` for a relay on
 * the default local port. `npm run docs:snippets` rewrites them; agent/test/snippets.test.ts fails
 * when a README has drifted from the one source.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentSnippets, type SnippetId } from '../../protocol/snippets.js';

export const README_ORIGIN = 'http://127.0.0.1:3000';
export const READMES = ['README.md', 'agent/README.md'];

const BLOCK = /(<!-- agent-snippets:begin ([a-z,-]+) -->\n)[\s\S]*?(<!-- agent-snippets:end -->)/g;

export function renderBlock(ids: SnippetId[]): string {
  const all = agentSnippets(README_ORIGIN);
  return ids
    .map((id) => {
      const s = all.find((x) => x.id === id);
      if (!s) throw new Error(`unknown snippet ${id}`);
      return [
        `**${s.title}.** ${s.sub}`,
        `\`\`\`${s.lang}\n${s.text}\n\`\`\``,
        ...(s.after ? [s.after] : []),
      ].join('\n\n');
    })
    .join('\n\n');
}

/** The file with every snippet block re-rendered. */
export function withSnippets(text: string): string {
  return text.replace(
    BLOCK,
    (_m, begin: string, ids: string, end: string) =>
      `${begin}${renderBlock(ids.split(',') as SnippetId[])}\n${end}`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(fileURLToPath(import.meta.url), '..', '..', '..');
  for (const file of READMES) {
    const path = join(root, file);
    const before = readFileSync(path, 'utf8');
    const after = withSnippets(before);
    if (after !== before) writeFileSync(path, after);
    console.log(`${file}: ${after === before ? 'up to date' : 'updated'}`);
  }
}
