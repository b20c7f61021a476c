/**
 * DMs from the browser (reference-relay.md §5.5): sealed to the recipient's box key with a fresh
 * ephemeral key per message, signed as the sender, read through the owner-signed long-poll.
 */
import { decodeStrictBase64 } from '@protocol/base64.js';
import { openDm, sealDm } from '@protocol/crypto.js';
import { authorizationHeader, type Identity } from '@protocol/identity.js';
import { normalizeHandle } from '@protocol/ids.js';
import { LIMITS } from '@protocol/limits.js';
import { dmEnvelopeHash, dmText, signText } from '@protocol/signing.js';
import { DmInboxResponse, type DmEnvelope } from '@protocol/schemas/dm.js';
import { lookupHandle } from '../identity/api.js';
import { errorText } from '../transport/errorText.js';

export interface InboxItem {
  id: string;
  seq: number;
  ts: number;
  fromHandle: string | null;
  fromVerified: boolean;
  /** Null when it does not open with our key. */
  text: string | null;
}

/** The sender fields: `dm <to> <from> <ts> <sha256(ciphertext|nonce|sender_eph_pub)>`. */
export function signDmFields(
  id: Identity,
  toHandle: string,
  sealed: { ciphertext: string; nonce: string; sender_eph_pub: string },
  ts: number = Date.now(),
) {
  const hash = dmEnvelopeHash(sealed.ciphertext, sealed.nonce, sealed.sender_eph_pub);
  return {
    from_handle: id.handle,
    from_ts: ts,
    from_sig: signText(dmText(toHandle, id.handle, ts, hash), id.signSecretKey),
  };
}

/** The path and query exactly as requested: the Authorization signature covers these bytes. */
export function inboxWaitPath(handle: string, after: number, timeoutSec: number): string {
  return `/api/dm/${handle}/inbox/wait?after=${after}&timeout=${timeoutSec}`;
}

export function openItem(m: DmEnvelope, id: Identity): InboxItem {
  return {
    id: m.id,
    seq: m.seq,
    ts: m.ts,
    fromHandle: m.from_handle,
    fromVerified: m.from_verified,
    text: openDm(m, id.boxSecretKey),
  };
}

export class InboxError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function waitInbox(
  id: Identity,
  after: number,
  timeoutSec: number,
  signal: AbortSignal,
): Promise<{ items: InboxItem[]; lastSeq: number; hasMore: boolean }> {
  const path = inboxWaitPath(id.handle, after, timeoutSec);
  const res = await fetch(path, {
    headers: { Authorization: authorizationHeader(id, 'GET', path) },
    signal,
    cache: 'no-store',
    credentials: 'omit',
  });
  if (!res.ok) {
    const e = await errorText(res);
    if (res.status === 401)
      throw new InboxError(
        401,
        'The relay refused this device’s signature. Check that your clock is set automatically.',
      );
    if (res.status === 404) throw new InboxError(404, `@${id.handle} is not registered on this relay.`);
    throw new InboxError(res.status, `Inbox unavailable (${res.status}): ${e}`);
  }
  const parsed = DmInboxResponse.safeParse(await res.json());
  if (!parsed.success) throw new InboxError(0, 'The relay sent an unexpected inbox reply.');
  return {
    items: parsed.data.messages.map((m) => openItem(m, id)),
    lastSeq: parsed.data.last_seq,
    hasMore: parsed.data.has_more === true,
  };
}

export async function deleteDm(id: Identity, msgId: string): Promise<void> {
  const path = `/api/dm/${id.handle}/inbox/${encodeURIComponent(msgId)}`;
  const res = await fetch(path, {
    method: 'DELETE',
    headers: { Authorization: authorizationHeader(id, 'DELETE', path) },
    cache: 'no-store',
    credentials: 'omit',
  });
  if (!res.ok) throw new Error(`Delete failed (${res.status}): ${await errorText(res)}`);
}

export type SendResult = { ok: true; id: string } | { ok: false; error: string };

export async function sendDm(id: Identity, to: string, text: string): Promise<SendResult> {
  const toHandle = normalizeHandle(to);
  if (!toHandle)
    return { ok: false, error: 'That is not a valid handle (2–32 characters: a–z, 0–9, _ or -).' };
  if (!text.trim()) return { ok: false, error: 'Write a message first.' };
  const who = await lookupHandle(toHandle);
  if (who.kind === 'missing')
    return { ok: false, error: `No one is registered as @${toHandle} on this relay.` };
  if (who.kind === 'error') return { ok: false, error: who.message };
  const pub = decodeStrictBase64(who.identity.box_pub, LIMITS.keyBytes);
  if (!pub) return { ok: false, error: `@${toHandle} has a malformed public key.` };
  const sealed = sealDm(text, pub);
  const body = { ...sealed, ...signDmFields(id, toHandle, sealed) };
  let res: Response;
  try {
    res = await fetch(`/api/dm/${toHandle}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    return { ok: false, error: 'Could not reach the relay.' };
  }
  if (!res.ok) {
    const e = await errorText(res);
    if (res.status === 400 && /too large/.test(e)) return { ok: false, error: 'The message is too long.' };
    if (res.status === 400 && /skew/.test(e))
      return { ok: false, error: "Your device clock is more than a minute off from the relay's." };
    if (res.status === 429)
      return { ok: false, error: 'Too many messages at once; wait a moment and try again.' };
    return { ok: false, error: `Not sent (${res.status}): ${e}` };
  }
  const b = (await res.json().catch(() => ({}))) as { id?: unknown };
  return { ok: true, id: typeof b.id === 'string' ? b.id : '' };
}
