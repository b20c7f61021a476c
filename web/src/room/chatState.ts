/**
 * The room's converging state as pure functions: messages ordered by seq and deduplicated by
 * id, tombstones, and reaction aggregates. The zustand store wraps these, the tests drive them
 * directly, and the rules follow reference-client.md §3.1–§3.3 and §4.2.
 */
import type { FileEnvelope } from '@protocol/attachments.js';
import type { ReactEnvelope } from '@protocol/envelopes.js';

export interface ChatMessage {
  id: string;
  seq: number;
  sender: string;
  /** Only ever the server's `sender_verified` on a live frame; restored items are never verified. */
  verified: boolean;
  ts: number;
  text: string;
  ttlMs?: number;
  replyTo?: string;
  /** Came from a peer's history, not from the relay: shown as "restored, unverified". */
  restored?: boolean;
  /** Sent from this browser; the only thing that makes a message "you". */
  own?: boolean;
  /** An encrypted attachment (`text` then describes it; the caption is `file.text`). */
  file?: FileEnvelope;
  /** The text is its sender's edit; `editSeq` is the seq of the edit applied. */
  edited?: boolean;
  editSeq?: number;
}

export type Reactions = Record<string, Record<string, string[]>>;

export interface ChatState {
  messages: Record<string, ChatMessage>;
  /** Message ids sorted by seq (ties broken by id so every client agrees). */
  order: string[];
  /** id → local time the tombstone was recorded. */
  tombstones: Record<string, number>;
  reactions: Reactions;
}

export const TOMBSTONE_MAX = 5000;
export const TOMBSTONE_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

export const emptyChat = (): ChatState => ({ messages: {}, order: [], tombstones: {}, reactions: {} });

export function isExpired(m: Pick<ChatMessage, 'ts' | 'ttlMs'>, now: number): boolean {
  return !!m.ttlMs && m.ts + m.ttlMs <= now;
}

export function isDead(s: ChatState, id: string): boolean {
  return id in s.tombstones;
}

const before = (a: ChatMessage, b: ChatMessage) => a.seq < b.seq || (a.seq === b.seq && a.id < b.id);

/** Binary search for the insertion point, so restored history lands where it belongs. */
function insertionIndex(s: ChatState, m: ChatMessage): number {
  let lo = 0;
  let hi = s.order.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const other = s.messages[s.order[mid]!]!;
    if (before(other, m)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Add messages. Known ids and tombstoned ids are skipped; an expired message becomes a
 * tombstone instead of a bubble (expiry counts as a delete).
 */
export function insertMessages(s: ChatState, incoming: ChatMessage[], now: number): ChatState {
  let next: ChatState | null = null;
  for (const m of incoming) {
    const cur = next ?? s;
    if (cur.messages[m.id] || isDead(cur, m.id)) continue;
    if (isExpired(m, now)) {
      next = applyDelete(cur, m.id, now);
      continue;
    }
    if (!next) next = { ...s, messages: { ...s.messages }, order: [...s.order] };
    next.messages[m.id] = m;
    next.order.splice(insertionIndex(next, m), 0, m.id);
  }
  return next ?? s;
}

/** Delete for everyone; idempotent because the relay replays deletes for a day. */
export function applyDelete(s: ChatState, id: string, now: number): ChatState {
  if (!id || isDead(s, id)) return s;
  const tombstones = pruneTombstones({ ...s.tombstones, [id]: now }, now);
  const messages = s.messages;
  let order = s.order;
  let nextMessages = messages;
  if (messages[id]) {
    nextMessages = { ...messages };
    delete nextMessages[id];
    order = order.filter((x) => x !== id);
  }
  let reactions = s.reactions;
  if (reactions[id]) {
    reactions = { ...reactions };
    delete reactions[id];
  }
  return { messages: nextMessages, order, tombstones, reactions };
}

/** Keep at most 5000 tombstones, none older than 30 days (the reference's raised limits). */
export function pruneTombstones(t: Record<string, number>, now: number): Record<string, number> {
  let entries = Object.entries(t).filter(([, ts]) => now - ts < TOMBSTONE_MAX_AGE_MS);
  if (entries.length > TOMBSTONE_MAX) entries = entries.sort((a, b) => a[1] - b[1]).slice(-TOMBSTONE_MAX);
  return entries.length === Object.keys(t).length ? t : Object.fromEntries(entries);
}

/**
 * Apply one reaction. The actor is always the outer, server-stamped sender. A reaction to a
 * dead target (tombstoned or expired) is dropped and can never resurrect the aggregate.
 */
export function applyReaction(
  s: ChatState,
  actor: string,
  env: Pick<ReactEnvelope, 'target_id' | 'emoji' | 'op'>,
  now: number,
): ChatState {
  if (!actor || !env.target_id || !env.emoji || isDead(s, env.target_id)) return s;
  const target = s.messages[env.target_id];
  if (target && isExpired(target, now)) return s;
  const forTarget = s.reactions[env.target_id] ?? {};
  const actors = forTarget[env.emoji] ?? [];
  const has = actors.includes(actor);
  if (env.op === 'add' ? has : !has) return s;
  const nextActors = env.op === 'add' ? [...actors, actor] : actors.filter((a) => a !== actor);
  const nextTarget = { ...forTarget };
  if (nextActors.length) nextTarget[env.emoji] = nextActors;
  else delete nextTarget[env.emoji];
  const reactions = { ...s.reactions };
  if (Object.keys(nextTarget).length) reactions[env.target_id] = nextTarget;
  else delete reactions[env.target_id];
  return { ...s, reactions };
}

/** History items carry aggregates; they merge as a union, under the dead-target rule. */
export function mergeReactions(
  s: ChatState,
  targetId: string,
  agg: Record<string, string[]>,
  now: number,
): ChatState {
  let next = s;
  for (const [emoji, actors] of Object.entries(agg)) {
    if (!Array.isArray(actors)) continue;
    for (const actor of actors) {
      if (typeof actor === 'string')
        next = applyReaction(next, actor, { target_id: targetId, emoji, op: 'add' }, now);
    }
  }
  return next;
}

/** The reference's pill order: presets first, in preset order, then the rest alphabetically. */
export function sortReactionKeys(keys: string[], presets: readonly string[]): string[] {
  const pre = presets.filter((p) => keys.includes(p));
  const rest = keys.filter((k) => !presets.includes(k)).sort();
  return [...pre, ...rest];
}

export type ReplyState =
  | { kind: 'alive'; sender: string; preview: string }
  | { kind: 'unknown' }
  | { kind: 'deleted' }
  | { kind: 'expired' };

/** What a reply reference shows; dead parents keep no cached text. */
export function replyState(s: ChatState, parentId: string, now: number): ReplyState {
  if (isDead(s, parentId)) return { kind: 'deleted' };
  const p = s.messages[parentId];
  if (!p) return { kind: 'unknown' };
  if (isExpired(p, now)) return { kind: 'expired' };
  const oneLine = p.text.replace(/\s+/g, ' ').trim();
  return {
    kind: 'alive',
    sender: p.sender,
    preview: oneLine.length > 140 ? `${oneLine.slice(0, 140)}…` : oneLine,
  };
}
