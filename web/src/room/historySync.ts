/**
 * Peer history in the room: ask verified peers for what the relay no longer holds, answer their
 * requests, and apply answers to our own request. The rules themselves live in peerHistory.ts.
 */
import { sealText } from '@protocol/crypto.js';
import {
  historyRequest,
  historyResponse,
  type HistoryItem,
  type HistoryResponse,
} from '@protocol/envelopes.js';
import type { RoomStore } from '../store/roomStore.js';
import type { PostResult } from '../transport/post.js';
import type { ChatMessage } from './chatState.js';
import { ownAggregatesAs, peerAggregates } from './reactors.js';
import { mayDelete } from './deletePolicy.js';
import type { Expiry } from './expiry.js';
import type { FrameCache, RoomFrame } from './frameCache.js';
import { ANSWER_DELAY_MAX_MS, buildResponseChunks, HistoryExchange, itemToMessage } from './peerHistory.js';

const CHUNK_GAP_MS = 60;

export interface HistorySyncDeps {
  store: RoomStore;
  key: Uint8Array;
  cache: Pick<FrameCache, 'put' | 'tombstone'>;
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

  onRequest(
    f: Pick<RoomFrame, 'sender' | 'sender_verified' | 'ts'>,
    reqId: string,
    ctx: { live: boolean; now: number },
  ): void {
    if (!this.d.store.getState().identity) return;
    const d = this.rules.decide(
      { sender: f.sender, sender_verified: f.sender_verified === true, ts: f.ts },
      { bot2bot_hist_req_v1: true, req_id: reqId, after: 0 },
      ctx,
    );
    if (!d.answer) return;
    const delay = this.d.answerDelay?.() ?? Math.random() * ANSWER_DELAY_MAX_MS;
    setTimeout(() => void this.answer(reqId, f.sender), delay);
  }

  private async answer(reqId: string, requester: string): Promise<void> {
    if (this.disposed || !this.rules.commit(reqId, requester, this.d.serverNow())) return;
    const s = this.d.store.getState();
    const msgs = s.order.map((id) => s.messages[id]!).filter(Boolean);
    const chunks = buildResponseChunks(
      reqId,
      msgs,
      ownAggregatesAs(s.reactions, s.me),
      s.tombstones,
      this.d.serverNow(),
    );
    for (const c of chunks) {
      await this.d.post(historyResponse(c));
      await new Promise((r) => setTimeout(r, CHUNK_GAP_MS));
    }
  }

  /** A response chunk arrived: only ours, only within budget, applied in one store update. */
  onResponse(
    f: Pick<RoomFrame, 'sender' | 'sender_verified' | 'ts'>,
    env: HistoryResponse,
    now: number,
    seen: Set<string>,
  ): void {
    if (f.sender_verified) this.rules.noteResponse(env.req_id);
    const taken = this.rules.take(
      { sender: f.sender, sender_verified: f.sender_verified === true, ts: f.ts },
      env,
      now,
    );
    if (taken) this.apply(taken.items, taken.deleted, f.sender, now, seen);
  }

  private apply(
    items: HistoryItem[],
    deleted: string[],
    responder: string,
    now: number,
    seen: Set<string>,
  ): void {
    // Deletes first, so a deleted item never flashes onto the screen. A peer's list is a delete
    // by that peer: it cannot remove another handle's verified message.
    const st = this.d.store;
    const unknown: Record<string, number> = {};
    for (const id of deleted) {
      if (typeof id !== 'string' || !id) continue;
      const s = st.getState();
      if (id in s.tombstones) continue;
      const target = s.messages[id];
      if (!target) unknown[id] = now;
      else if (mayDelete(target, { sender: responder, verified: true })) this.d.expiry.deleteLocal(id, now);
    }
    const ids = Object.keys(unknown);
    if (ids.length) {
      st.getState().setTombstones(unknown);
      this.d.cache.tombstone(ids, now);
    }
    const s = st.getState();
    const fresh = items.filter((i) => !s.messages[i.id] && !(i.id in s.tombstones) && !seen.has(i.id));
    if (!fresh.length) return;
    const msgs = fresh.map((i) => {
      seen.add(i.id);
      return itemToMessage(i);
    });
    s.addMessages(msgs, now);
    for (const i of fresh)
      if (i.reactions) st.getState().mergeReactions(i.id, peerAggregates(i.reactions), now);
    for (const m of msgs) this.d.expiry.arm(m);
    this.d.cache.put(
      fresh.map((i) => ({
        id: i.id,
        seq: i.seq,
        sender: i.sender,
        sender_verified: false,
        ts: i.ts,
        ...sealText(JSON.stringify(i), this.d.key),
        ...(i.ttl_ms ? { ttl_ms: i.ttl_ms } : {}),
        ...(i.reply_to ? { reply_to: i.reply_to } : {}),
        restored: true,
      })),
    );
    st.getState().toast(
      `Restored ${fresh.length} older message${fresh.length === 1 ? '' : 's'} from a peer`,
      'info',
    );
  }

  dispose(): void {
    this.disposed = true;
  }
}

/** A restored frame from the cache: its plaintext is the JSON history item. */
export function parseRestored(
  text: string,
): { msg: ChatMessage; reactions?: Record<string, string[]> } | null {
  let item: HistoryItem;
  try {
    item = JSON.parse(text) as HistoryItem;
  } catch {
    return null;
  }
  if (typeof item?.id !== 'string' || typeof item.seq !== 'number' || typeof item.text !== 'string')
    return null;
  return { msg: itemToMessage(item), ...(item.reactions ? { reactions: item.reactions } : {}) };
}
