/**
 * The server-side cursor (reference-relay.md §2.8): claim leases one message to our handle;
 * ack advances the cursor. An un-acked claim is re-delivered after its lease (at least once).
 * The Authorization header signs the exact path and query each request uses.
 */
import { AckResponse, ClaimResponse, authorizationHeader, LIMITS } from '../../protocol/index.js';
import { HttpError } from './errors.js';
import { parseAnswer, requestJson, sleep } from './http.js';
import { asStoredMessage, type Message } from './message.js';
import type { RoomCore } from './roomCore.js';

export interface ClaimOptions {
  /** Seconds to wait for a message, 1–90 (default 30). */
  timeout?: number;
  /** Lease in ms; the relay clamps it to 60 000–300 000. */
  ttlMs?: number;
  /** Labels never to claim, besides our own name and handle. */
  excludeSenders?: string[];
  /**
   * Control envelopes (adopt offers, reactions, history sync, …) and undecryptable messages are
   * not tasks: by default they are acked and skipped. Set false to receive them.
   */
  skipControl?: boolean;
  /**
   * Messages up to this seq are history from before the agent joined: acked and skipped like
   * control envelopes, never returned as tasks (see JoinedRooms). Default: none.
   */
  historyUpTo?: number;
  signal?: AbortSignal;
}

export type ClaimResult =
  | { empty: true; cursor: number; lastSeq: number; exists: boolean }
  | { empty: false; claimId: string; message: Message; cursor: number; lastSeq: number };

export interface AckResult {
  ok: boolean;
  advanced: boolean;
  cursor: number;
}

function clampTimeout(t: number | undefined): number {
  return Math.min(
    Math.max(Math.round(t ?? LIMITS.waitTimeoutDefaultS), LIMITS.waitTimeoutMinS),
    LIMITS.waitTimeoutMaxS,
  );
}

/**
 * Claim the next message for our handle. The relay answers "empty" early when it is woken by a
 * message we may not take (our own, an excluded sender); we keep asking until the deadline.
 */
export async function claimNext(room: RoomCore, opts: ClaimOptions = {}): Promise<ClaimResult> {
  const id = room.requireIdentity('claim');
  const deadline = Date.now() + clampTimeout(opts.timeout) * 1000;
  const exclude = [...new Set([...room.selfNames, ...(opts.excludeSenders ?? [])])].filter(
    (s) => s.length >= 1 && s.length <= LIMITS.excludeSenderMaxChars,
  );
  for (;;) {
    const remaining = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
    const path = `/api/rooms/${room.roomId}/claim?timeout=${Math.min(remaining, LIMITS.waitTimeoutMaxS)}${opts.ttlMs ? `&ttl_ms=${Math.round(opts.ttlMs)}` : ''}`;
    const res = await requestJson(
      'claim',
      `${room.origin}${path}`,
      { method: 'POST', body: { handle: id.handle, exclude_senders: exclude } },
      room.http({
        timeoutMs: (remaining + 10) * 1000,
        signal: opts.signal,
        headers: () => ({ Authorization: authorizationHeader(id, 'POST', path) }),
      }),
    );
    const b = parseAnswer('claim', ClaimResponse, res.body);
    const raw = b.claim_id && !b.empty ? asStoredMessage(b.message) : null;
    if (raw && b.claim_id) {
      // History is not live: it is neither decrypted for adopt offers nor shown to the reply budget.
      const history = raw.seq <= (opts.historyUpTo ?? 0);
      const msg = history ? null : await room.receive(raw);
      // Attachments and edits are content; other envelopes are control.
      const skip =
        !msg ||
        (opts.skipControl !== false && msg.kind !== 'chat' && msg.kind !== 'file' && msg.kind !== 'edit');
      if (msg && !skip)
        return {
          empty: false,
          claimId: b.claim_id,
          message: msg,
          cursor: b.cursor ?? 0,
          lastSeq: b.last_seq ?? 0,
        };
      await ackClaim(room, b.claim_id, raw.seq);
      continue;
    }
    if (Date.now() >= deadline - 500) {
      return { empty: true, cursor: b.cursor ?? 0, lastSeq: b.last_seq ?? 0, exists: b.exists !== false };
    }
    // A missing room answers at once instead of parking: wait here, or shell loops would spin.
    if (b.exists === false) await sleep(Math.min(1000, deadline - Date.now()), opts.signal);
  }
}

/** Acknowledge a claim. A stale or unknown claim throws an HttpError with status 409. */
export async function ackClaim(room: RoomCore, claimId: string, seq: number): Promise<AckResult> {
  const id = room.requireIdentity('ack');
  const path = `/api/rooms/${room.roomId}/ack`;
  const res = await requestJson(
    'ack',
    `${room.origin}${path}`,
    { method: 'POST', body: { handle: id.handle, claim_id: claimId, seq } },
    room.http({
      headers: () => ({ Authorization: authorizationHeader(id, 'POST', path) }),
    }),
  );
  const b = parseAnswer('ack', AckResponse, res.body);
  return { ok: b.ok, advanced: b.advanced, cursor: b.cursor };
}

export interface NextOptions extends ClaimOptions {
  /** Process the message; return false (or throw) to leave it un-acked for redelivery. */
  onClaim?: (m: Message) => unknown;
}

export type NextResult =
  | { empty: true; cursor: number }
  | { empty: false; message: Message; claimId: string; cursor: number; acked: boolean; ackError?: string };

export async function nextTask(room: RoomCore, opts: NextOptions = {}): Promise<NextResult> {
  const c = await claimNext(room, opts);
  if (c.empty) return { empty: true, cursor: c.cursor };
  if (opts.onClaim) {
    const verdict = await opts.onClaim(c.message);
    if (verdict === false)
      return { empty: false, message: c.message, claimId: c.claimId, cursor: c.cursor, acked: false };
  }
  try {
    const a = await ackClaim(room, c.claimId, c.message.seq);
    return { empty: false, message: c.message, claimId: c.claimId, cursor: a.cursor, acked: true };
  } catch (e) {
    return {
      empty: false,
      message: c.message,
      claimId: c.claimId,
      cursor: c.cursor,
      acked: false,
      ackError: e instanceof HttpError ? e.message : String(e),
    };
  }
}
