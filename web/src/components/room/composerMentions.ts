/**
 * The composer's @-mention completion as pure functions: which query the caret is in, which
 * names match it (present people first by recency, then recent senders), and the text after a
 * pick.
 */
import type { ChatMessage } from '../../room/chatState.js';

const MENTION_RE = /(^|[\s(,.;:!?])@([A-Za-z0-9_-]*)$/;
const SCAN_MESSAGES = 300;
const MAX_CANDIDATES = 8;

/** The partial name after an `@` right before the caret, or null when the caret is not in one. */
export function mentionQuery(value: string, caret: number): string | null {
  const m = MENTION_RE.exec(value.slice(0, caret));
  return m ? (m[2] ?? '') : null;
}

export function mentionCandidates(
  query: string,
  people: ReadonlyArray<{ name: string }>,
  order: readonly string[],
  messages: Readonly<Record<string, ChatMessage>>,
  me: string,
  now: number,
): string[] {
  const names = new Map<string, number>();
  for (const p of people) names.set(p.name, now);
  for (let i = order.length - 1; i >= 0 && i > order.length - SCAN_MESSAGES; i--) {
    const m = messages[order[i]!];
    if (m && !names.has(m.sender)) names.set(m.sender, m.ts);
  }
  names.delete(me);
  const q = query.toLowerCase();
  return [...names.entries()]
    .filter(([n]) => n.replace(/^@/, '').toLowerCase().startsWith(q))
    .sort((a, b) => b[1] - a[1])
    .slice(0, MAX_CANDIDATES)
    .map(([n]) => n);
}

/** Replace the partial mention before the caret with the picked name; returns text and caret. */
export function insertMention(text: string, caret: number, name: string): { text: string; caret: number } {
  const before = text.slice(0, caret).replace(/@[A-Za-z0-9_-]*$/, `@${name.replace(/^@/, '')} `);
  return { text: before + text.slice(caret), caret: before.length };
}
