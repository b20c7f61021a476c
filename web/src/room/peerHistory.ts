/**
 * Peer history exchange (reference-client.md §3.8) with the fixes of §8.2 item 1:
 * - requests seen during replay, or older than 30 s by the relay's `ts`, are never answered;
 * - only verified requesters are answered, at most once per requester per minute;
 * - each request is answered once by this tab, after a random delay, and not at all if another
 *   peer answered in the meantime;
 * - a response carries at most 100 items, the newest ones, in chunks of ~15 KB; tombstones
 *   (newest 2000) ride on chunk 0;
 * - responses are accepted only from verified senders, only for our own pending requests, only
 *   from the first peer that answers, and only up to what an honest answer holds (100 items,
 *   2000 tombstones, a byte budget); the rest is dropped unread;
 * - however many requesters there are, this tab answers at most a few requests per window.
 */
import { describeFile, fileEnvelope, type FileEnvelope } from '@protocol/attachments.js';
import {
  classifyPlaintext,
  type HistoryItem,
  type HistoryRequest,
  type HistoryResponse,
} from '@protocol/envelopes.js';
import { normalizeLabel } from '@protocol/labels.js';
import type { ChatMessage } from './chatState.js';

export const REQUEST_MAX_AGE_MS = 30_000;
export const REQUEST_WINDOW_MS = 8_000;
export const REQUESTER_COOLDOWN_MS = 60_000;
export const RESPONSE_MAX_ITEMS = 100;
export const CHUNK_MAX_ITEMS = 15;
export const CHUNK_MAX_BYTES = 15_000;
export const DELETED_MAX = 2000;
export const ANSWER_DELAY_MAX_MS = 1200;
/** Everything one answer to our request may bring: an honest answer's items with room to spare. */
export const RESPONSE_MAX_BYTES = 256 * 1024;
/** Answers this tab sends per window, to anyone: fresh handles cost an attacker nothing. */
export const ANSWERS_PER_WINDOW = 3;
export const ANSWER_WINDOW_MS = 10 * 60_000;

export interface RequestFrame {
  sender: string;
  sender_verified: boolean;
  ts: number;
}

export type AnswerDecision = { answer: true } | { answer: false; reason: string };

/** What is still allowed into one of our requests. */
interface Intake {
  responder: string | null;
  items: number;
  deleted: number;
  bytes: number;
}

export class HistoryExchange {
  private readonly ownRequests = new Map<string, number>();
  private readonly intake = new Map<string, Intake>();
  /** When this tab last answered anyone, newest last (at most ANSWERS_PER_WINDOW kept). */
  private readonly answeredAt: number[] = [];
  private readonly answered = new Set<string>();
  private readonly responded = new Set<string>();
  private readonly lastAnswerTo = new Map<string, number>();

  /** Register a request this tab is about to send. */
  trackOwnRequest(reqId: string, now: number): void {
    this.ownRequests.set(reqId, now + REQUEST_WINDOW_MS);
    this.intake.set(reqId, { responder: null, items: 0, deleted: 0, bytes: 0 });
  }

  private busy(now: number): boolean {
    const oldest = this.answeredAt[0];
    return (
      this.answeredAt.length >= ANSWERS_PER_WINDOW && oldest !== undefined && now - oldest < ANSWER_WINDOW_MS
    );
  }

  decide(frame: RequestFrame, req: HistoryRequest, ctx: { live: boolean; now: number }): AnswerDecision {
    if (this.ownRequests.has(req.req_id)) return { answer: false, reason: 'own request' };
    if (!ctx.live) return { answer: false, reason: 'replayed from the relay buffer' };
    if (ctx.now - frame.ts > REQUEST_MAX_AGE_MS) return { answer: false, reason: 'stale request' };
    if (!frame.sender_verified) return { answer: false, reason: 'unverified requester' };
    if (this.answered.has(req.req_id)) return { answer: false, reason: 'already answered' };
    const last = this.lastAnswerTo.get(frame.sender);
    if (last !== undefined && ctx.now - last < REQUESTER_COOLDOWN_MS)
      return { answer: false, reason: 'requester cooldown' };
    if (this.busy(ctx.now)) return { answer: false, reason: 'answer budget spent' };
    return { answer: true };
  }

  /** Called after the random delay, just before sending. */
  commit(reqId: string, requester: string, now: number): boolean {
    if (this.answered.has(reqId) || this.responded.has(reqId) || this.busy(now)) return false;
    this.answered.add(reqId);
    this.lastAnswerTo.set(requester, now);
    this.answeredAt.push(now);
    if (this.answeredAt.length > ANSWERS_PER_WINDOW) this.answeredAt.shift();
    return true;
  }

  /** Any verified response seen (ours or a peer's) marks the request as handled. */
  noteResponse(reqId: string): void {
    this.responded.add(reqId);
  }

  /** Accept a response chunk only from a verified sender, for our own request, in its window. */
  accepts(frame: RequestFrame, resp: HistoryResponse, now: number): boolean {
    if (!frame.sender_verified) return false;
    const until = this.ownRequests.get(resp.req_id);
    return until !== undefined && now <= until;
  }

  /**
   * The part of a response chunk to apply: nothing unless `accepts`, nothing from a second
   * responder, and never more items, tombstones or bytes than one honest answer holds.
   */
  take(
    frame: RequestFrame,
    resp: HistoryResponse,
    now: number,
  ): { items: HistoryItem[]; deleted: string[] } | null {
    const budget = this.intake.get(resp.req_id);
    if (!budget || !this.accepts(frame, resp, now)) return null;
    if (budget.responder !== null && budget.responder !== frame.sender) return null;
    budget.responder = frame.sender;
    const items: HistoryItem[] = [];
    for (const i of resp.items) {
      const size = itemSize(i);
      if (budget.items >= RESPONSE_MAX_ITEMS || budget.bytes + size > RESPONSE_MAX_BYTES) break;
      budget.items++;
      budget.bytes += size;
      items.push(i);
    }
    const room = Math.max(0, DELETED_MAX - budget.deleted);
    const deleted = (resp.deleted ?? []).slice(0, room);
    budget.deleted += deleted.length;
    return { items, deleted };
  }
}

export function messageToItem(m: ChatMessage, reactions?: Record<string, string[]>): HistoryItem {
  // A file travels as its envelope, so the peer can fetch it; an edited text says so.
  const text = m.file ? fileEnvelope(withoutMarker(m.file)) : m.text;
  const item: HistoryItem = {
    seq: m.seq,
    id: m.id,
    sender: m.sender,
    sender_verified: m.verified,
    ts: m.ts,
    text,
  };
  if (m.edited) item.edited = true;
  if (m.ttlMs) item.ttl_ms = m.ttlMs;
  if (m.replyTo) item.reply_to = m.replyTo;
  if (reactions && Object.keys(reactions).length) item.reactions = reactions;
  return item;
}

const itemSize = (i: HistoryItem) =>
  i.text.length + i.sender.length + 80 + (i.reactions ? JSON.stringify(i.reactions).length : 0);

/**
 * Chunks for one response: the newest `RESPONSE_MAX_ITEMS` live items in ascending seq order,
 * split by count and size. Tombstoned and expired items never leave this function.
 */
export function buildResponseChunks(
  reqId: string,
  messages: ChatMessage[],
  reactions: Record<string, Record<string, string[]>>,
  tombstones: Record<string, number>,
  now: number,
): Array<Omit<HistoryResponse, 'bot2bot_hist_resp_v1'>> {
  const live = messages
    .filter((m) => !(m.id in tombstones) && !(m.ttlMs && m.ts + m.ttlMs <= now))
    .sort((a, b) => a.seq - b.seq)
    .slice(-RESPONSE_MAX_ITEMS)
    .map((m) => messageToItem(m, reactions[m.id]));
  const deleted = Object.entries(tombstones)
    .sort((a, b) => a[1] - b[1])
    .slice(-DELETED_MAX)
    .map(([id]) => id);
  const chunks: Array<Omit<HistoryResponse, 'bot2bot_hist_resp_v1'>> = [];
  let cur: HistoryItem[] = [];
  let size = 0;
  const push = () => {
    chunks.push({ req_id: reqId, chunk: chunks.length, items: cur });
    cur = [];
    size = 0;
  };
  for (const item of live) {
    const s = itemSize(item);
    if (cur.length && (cur.length >= CHUNK_MAX_ITEMS || size + s > CHUNK_MAX_BYTES)) push();
    cur.push(item);
    size += s;
  }
  if (cur.length) push();
  if (deleted.length) {
    if (!chunks.length) chunks.push({ req_id: reqId, chunk: 0, items: [] });
    chunks[0]!.deleted = deleted;
  }
  return chunks;
}

/** A restored item becomes a message that is visibly not verified. */
export function itemToMessage(i: HistoryItem): ChatMessage {
  const m: ChatMessage = {
    id: i.id,
    seq: i.seq,
    sender: normalizeLabel(i.sender),
    verified: false,
    ts: i.ts,
    text: i.text,
    restored: true,
  };
  const p = i.text.startsWith('{') ? classifyPlaintext(i.text) : null;
  if (p?.kind === 'file') {
    m.file = p.envelope;
    m.text = describeFile(p.envelope);
  }
  if (i.edited === true) m.edited = true;
  if (typeof i.ttl_ms === 'number' && i.ttl_ms > 0) m.ttlMs = i.ttl_ms;
  if (i.reply_to) m.replyTo = i.reply_to;
  return m;
}

function withoutMarker(f: FileEnvelope): Omit<FileEnvelope, 'bot2bot_file_v1'> {
  const { bot2bot_file_v1: _m, ...rest } = f;
  return rest;
}
