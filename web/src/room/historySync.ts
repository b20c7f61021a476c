/**
 * Peer history in the room: ask verified peers for what the relay no longer holds, answer their
 * requests, and apply answers to our own request. The rules themselves live in peerHistory.ts.
 */
import { sealText } from '../../../protocol/crypto.js';
import { historyRequest, historyResponse, type HistoryItem, type HistoryResponse } from '../../../protocol/envelopes.js';
import type { RoomStore } from '../store/roomStore.js';
import type { PostResult } from '../transport/post.js';
import type { ChatMessage } from './chatState.js';
import type { Expiry } from './expiry.js';
import type { FrameCache, RoomFrame } from './frameCache.js';
import { ANSWER_DELAY_MAX_MS, buildResponseChunks, HistoryExchange, itemToMessage } from './peerHistory.js';

const CHUNK_GAP_MS = 60;

export interface HistorySyncDeps {
  store: RoomStore;
  key: Uint8Array;
  cache: Pick<FrameCache, 'put'>;
  expiry: Pick<Expiry, 'deleteLocal' | 'arm'>;
  serverNow: () => number;
  post: (plaintext: string) => Promise<PostResult>;
  /** Random delay before answering, so that one of several peers answers first. */
  answerDelay?: () => number;
}

export class HistorySync {
  readonly rules = new HistoryExchange();
  private requested = false;
  private disposed = false;

  constructor(private readonly d: HistorySyncDeps) {}

  /** After `ready`: ask once, when signed in, someone else is here, and the relay lacks history. */
  maybeRequest(others: number, relayLacks: boolean): void {
    const s = this.d.store.getState();
    if (this.requested || !s.identity || others < 1 || !relayLacks) return;
    this.requested = true;
    const reqId = crypto.randomUUID();
    this.rules.trackOwnRequest(reqId, this.d.serverNow());
    void this.d.post(historyRequest(reqId, 0));
  }

  onRequest(f: Pick<RoomFrame, 'sender' | 'sender_verified' | 'ts'>, reqId: string, ctx: { live: boolean; now: number }): void {
    if (!this.d.store.getState().identity) return;
    const d = this.rules.decide({ sender: f.sender, sender_verified: f.sender_verified === true, ts: f.ts }, { bot2bot_hist_req_v1: true, req_id: reqId, after: 0 }, ctx);
    if (!d.answer) return;
    const delay = this.d.answerDelay?.() ?? Math.random() * ANSWER_DELAY_MAX_MS;
    setTimeout(() => void this.answer(reqId, f.sender), delay);
  }

  private async answer(reqId: string, requester: string): Promise<void> {
    if (this.disposed || !this.rules.commit(reqId, requester, this.d.serverNow())) return;
    const s = this.d.store.getState();
    const msgs = s.order.map((id) => s.messages[id]!).filter(Boolean);
    const chunks = buildResponseChunks(reqId, msgs, s.reactions, s.tombstones, this.d.serverNow());
    for (const c of chunks) {
      await this.d.post(historyResponse(c));
      await new Promise((r) => setTimeout(r, CHUNK_GAP_MS));
    }
  }

  /** A response chunk arrived live. */
  onResponse(f: Pick<RoomFrame, 'sender' | 'sender_verified' | 'ts'>, env: HistoryResponse, now: number, seen: Set<string>): void {
    if (f.sender_verified) this.rules.noteResponse(env.req_id);
    if (!this.rules.accepts({ sender: f.sender, sender_verified: f.sender_verified === true, ts: f.ts }, env, now)) return;
    this.apply(env.items, env.deleted ?? [], now, seen);
  }

  private apply(items: HistoryItem[], deleted: string[], now: number, seen: Set<string>): void {
    // Deletes first, so a deleted item never flashes onto the screen.
    for (const id of deleted) if (typeof id === 'string' && id) this.d.expiry.deleteLocal(id, now);
    const s = this.d.store.getState();
    const fresh = items.filter((i) => !s.messages[i.id] && !(i.id in s.tombstones) && !seen.has(i.id));
    for (const i of fresh) {
      seen.add(i.id);
      const msg = itemToMessage(i);
      s.addMessages([msg], now);
      if (i.reactions) s.mergeReactions(i.id, i.reactions, now);
      this.d.expiry.arm(msg);
      const sealed = sealText(JSON.stringify(i), this.d.key);
      this.d.cache.put([{ id: i.id, seq: i.seq, sender: i.sender, sender_verified: false, ts: i.ts, ...sealed, ...(i.ttl_ms ? { ttl_ms: i.ttl_ms } : {}), ...(i.reply_to ? { reply_to: i.reply_to } : {}), restored: true }]);
    }
    if (fresh.length) s.toast(`Restored ${fresh.length} older message${fresh.length === 1 ? '' : 's'} from a peer`, 'info');
  }

  dispose(): void {
    this.disposed = true;
  }
}

/** A restored frame from the cache: its plaintext is the JSON history item. */
export function parseRestored(text: string): { msg: ChatMessage; reactions?: Record<string, string[]> } | null {
  let item: HistoryItem;
  try {
    item = JSON.parse(text) as HistoryItem;
  } catch {
    return null;
  }
  if (typeof item?.id !== 'string' || typeof item.seq !== 'number' || typeof item.text !== 'string') return null;
  return { msg: itemToMessage(item), ...(item.reactions ? { reactions: item.reactions } : {}) };
}
