/**
 * Edit for everyone in the web app: a pure step on the chat state. Only the original sender's
 * edits apply (protocol/attachments.ts `editApplies`); the latest edit wins, replays are no-ops.
 */
import { describeFile, editApplies } from '@protocol/attachments.js';
import type { ChatMessage, ChatState } from '../room/chatState.js';

export interface EditEvent {
  targetId: string;
  text: string;
  /** The edit frame's server-stamped sender, verification and seq. */
  sender: string;
  verified: boolean;
  seq: number;
}

export function applyEdit(s: ChatState, e: EditEvent, now: number): ChatState {
  const target = s.messages[e.targetId];
  // Restored messages carry no verified sender to compare with: they take no edits.
  if (!target || target.restored) return s;
  const t = {
    sender: target.sender,
    verified: target.verified,
    seq: target.seq,
    ts: target.ts,
    ...(target.ttlMs ? { ttl_ms: target.ttlMs } : {}),
  };
  if (!editApplies(t, e, { dead: e.targetId in s.tombstones, now })) return s;
  if (target.editSeq !== undefined && target.editSeq >= e.seq) return s;
  const next: ChatMessage = { ...target, edited: true, editSeq: e.seq };
  if (target.file) {
    next.file = { ...target.file, text: e.text };
    next.text = describeFile(next.file);
  } else next.text = e.text;
  return { ...s, messages: { ...s.messages, [e.targetId]: next } };
}

/** The message ArrowUp in an empty composer edits: this browser's newest live text message. */
export function lastOwnEditable(s: ChatState): ChatMessage | null {
  for (let i = s.order.length - 1; i >= 0; i--) {
    const m = s.messages[s.order[i]!];
    if (m?.own && !m.restored) return m;
  }
  return null;
}
