/**
 * Threads are derived on the client from `reply_to` alone (reference-client.md §3.4): no wire
 * change, so every client agrees on them without talking about them.
 */
import type { ChatMessage } from './chatState.js';

type Index = Pick<{ messages: Record<string, ChatMessage>; order: string[] }, 'messages' | 'order'>;

/** parent id → number of direct replies held here (one pass, shared by every bubble). */
export function replyCounts(s: Index): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of s.order) {
    const p = s.messages[id]?.replyTo;
    if (p) counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  return counts;
}

/** Walk `reply_to` up through known messages; a cycle (forged ids) stops the walk. */
export function threadRoot(messages: Record<string, ChatMessage>, id: string): string {
  const seen = new Set<string>();
  let cur = id;
  while (!seen.has(cur)) {
    seen.add(cur);
    const parent = messages[cur]?.replyTo;
    if (!parent || !messages[parent]) return cur;
    cur = parent;
  }
  return cur;
}

/** Every held message whose ancestor chain reaches `rootId`, the root first, in seq order. */
export function threadMessages(s: Index, rootId: string): ChatMessage[] {
  const memo = new Map<string, string>();
  const rootOf = (id: string): string => {
    const known = memo.get(id);
    if (known) return known;
    const r = threadRoot(s.messages, id);
    memo.set(id, r);
    return r;
  };
  const out: ChatMessage[] = [];
  for (const id of s.order) {
    const m = s.messages[id];
    if (!m) continue;
    if (id === rootId || (m.replyTo && rootOf(id) === rootId)) out.push(m);
  }
  return out;
}

export function replyLabel(n: number): string {
  return `View thread · ${n} ${n === 1 ? 'reply' : 'replies'}`;
}
