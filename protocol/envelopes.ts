/**
 * What rides inside the ciphertext (reference-client.md §2.2, §3). The relay never sees these;
 * every client classifies a decrypted plaintext with `classifyPlaintext` and nothing else.
 */
import {
  EDIT_MARKER,
  FILE_MARKER,
  parseEditEnvelope,
  parseFileEnvelope,
  type EditEnvelope,
  type FileEnvelope,
} from './attachments.js';

export const MARKER = {
  delete: 'bot2bot_delete_v1',
  react: 'bot2bot_react_v1',
  histReq: 'bot2bot_hist_req_v1',
  histResp: 'bot2bot_hist_resp_v1',
  adopt: 'bot2bot_adopt_v1',
  file: FILE_MARKER,
  edit: EDIT_MARKER,
} as const;

/** Any `bot2bot_*_v<n>` or legacy `safebot_*_v<n>` key set to `true` hides the object. */
const ANY_MARKER_RE = /^(bot2bot|safebot)_[a-z_]+_v\d+$/;

export interface DeleteEnvelope {
  bot2bot_delete_v1: true;
  target_id: string;
  target_seq?: number;
}

export type ReactionOp = 'add' | 'remove';
export interface ReactEnvelope {
  bot2bot_react_v1: true;
  target_id: string;
  emoji: string;
  op: ReactionOp;
}

export interface HistoryRequest {
  bot2bot_hist_req_v1: true;
  req_id: string;
  after: number;
}

export interface HistoryItem {
  seq: number;
  id: string;
  sender: string;
  sender_verified: boolean;
  ts: number;
  text: string;
  ttl_ms?: number;
  reply_to?: string;
  reactions?: Record<string, string[]>;
  /** The text is its sender's latest edit (this relay's clients). */
  edited?: boolean;
}

export interface HistoryResponse {
  bot2bot_hist_resp_v1: true;
  req_id: string;
  chunk: number;
  items: HistoryItem[];
  deleted?: string[];
}

export interface AdoptEnvelope {
  bot2bot_adopt_v1: true;
  adopt_id: string;
  target_name: string;
  /** Operator's ephemeral X25519 public key, base64url unpadded. */
  sender_box_pub: string;
  nonce: string;
  ciphertext: string;
}

/** The box-sealed payload of an adopt offer. */
export interface AdoptPayload {
  handle: string;
  box_sk_b64u: string;
  sign_seed_b64u: string;
  adopt_id: string;
}

export type Plaintext =
  | { kind: 'chat'; text: string }
  | { kind: 'delete'; envelope: DeleteEnvelope }
  | { kind: 'react'; envelope: ReactEnvelope }
  | { kind: 'hist_req'; envelope: HistoryRequest }
  | { kind: 'hist_resp'; envelope: HistoryResponse }
  | { kind: 'adopt'; envelope: AdoptEnvelope }
  /** An attachment: shown like a chat message, with its file fetched and checked on demand. */
  | { kind: 'file'; envelope: FileEnvelope }
  | { kind: 'edit'; envelope: EditEnvelope }
  /** A marker we recognise as control but cannot use (malformed, legacy or from the future). */
  | { kind: 'control'; marker: string };

const str = (v: unknown): v is string => typeof v === 'string';
const markerOn = (o: Record<string, unknown>, name: string) =>
  o[name] === true || o[name.replace(/^bot2bot_/, 'safebot_')] === true;

/**
 * Chat unless the text starts with `{`, parses as a JSON object, and has a marker key that is
 * strictly `true`. Precedence when several are present: file and edit (which carry the adopt
 * marker as well, see REFERENCE_HIDE_MARKER), then the reference's order: adopt, delete, react,
 * hist_resp, hist_req. Legacy `safebot_*` markers are honoured on receive.
 */
export function classifyPlaintext(text: string): Plaintext {
  if (!text.startsWith('{')) return { kind: 'chat', text };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: 'chat', text };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { kind: 'chat', text };
  const o = parsed as Record<string, unknown>;
  // Files and edits first: they also carry the adopt marker, so that reference clients hide them.
  if (markerOn(o, MARKER.file)) {
    const env = parseFileEnvelope(o);
    return env ? { kind: 'file', envelope: env } : { kind: 'control', marker: MARKER.file };
  }
  if (markerOn(o, MARKER.edit)) {
    const env = parseEditEnvelope(o);
    return env ? { kind: 'edit', envelope: env } : { kind: 'control', marker: MARKER.edit };
  }
  if (markerOn(o, MARKER.adopt)) {
    if (str(o.adopt_id) && str(o.target_name) && str(o.sender_box_pub) && str(o.nonce) && str(o.ciphertext)) {
      return { kind: 'adopt', envelope: { ...(o as unknown as AdoptEnvelope), bot2bot_adopt_v1: true } };
    }
    return { kind: 'control', marker: MARKER.adopt };
  }
  if (markerOn(o, MARKER.delete)) {
    if (str(o.target_id) && o.target_id.length > 0) {
      const env: DeleteEnvelope = { bot2bot_delete_v1: true, target_id: o.target_id };
      if (typeof o.target_seq === 'number' && Number.isFinite(o.target_seq)) env.target_seq = o.target_seq;
      return { kind: 'delete', envelope: env };
    }
    return { kind: 'control', marker: MARKER.delete };
  }
  if (markerOn(o, MARKER.react)) {
    // The same emoji rule as on send: anything else is a control object nobody renders.
    const emoji = str(o.emoji) ? o.emoji.trim() : '';
    if (
      str(o.target_id) &&
      o.target_id.length > 0 &&
      emoji.length >= 1 &&
      emoji.length <= REACTION_MAX_CHARS &&
      (o.op === 'add' || o.op === 'remove')
    ) {
      return { kind: 'react', envelope: { bot2bot_react_v1: true, target_id: o.target_id, emoji, op: o.op } };
    }
    return { kind: 'control', marker: MARKER.react };
  }
  if (markerOn(o, MARKER.histResp)) {
    if (str(o.req_id) && Array.isArray(o.items)) {
      const items = o.items.filter(isHistoryItem);
      const env: HistoryResponse = {
        bot2bot_hist_resp_v1: true,
        req_id: o.req_id,
        chunk: typeof o.chunk === 'number' ? o.chunk : 0,
        items,
      };
      if (Array.isArray(o.deleted)) env.deleted = o.deleted.filter(str);
      return { kind: 'hist_resp', envelope: env };
    }
    return { kind: 'control', marker: MARKER.histResp };
  }
  if (markerOn(o, MARKER.histReq)) {
    if (str(o.req_id)) {
      return {
        kind: 'hist_req',
        envelope: {
          bot2bot_hist_req_v1: true,
          req_id: o.req_id,
          after: typeof o.after === 'number' ? o.after : 0,
        },
      };
    }
    return { kind: 'control', marker: MARKER.histReq };
  }
  for (const [k, v] of Object.entries(o)) {
    if (v === true && ANY_MARKER_RE.test(k)) return { kind: 'control', marker: k };
  }
  return { kind: 'chat', text };
}

function isHistoryItem(v: unknown): v is HistoryItem {
  if (v === null || typeof v !== 'object') return false;
  const i = v as Record<string, unknown>;
  return (
    typeof i.seq === 'number' &&
    str(i.id) &&
    str(i.sender) &&
    typeof i.ts === 'number' &&
    str(i.text) &&
    (i.ttl_ms === undefined || typeof i.ttl_ms === 'number') &&
    (i.reply_to === undefined || str(i.reply_to))
  );
}

export function isControl(text: string): boolean {
  return classifyPlaintext(text).kind !== 'chat';
}

export const deleteEnvelope = (target_id: string, target_seq?: number): string =>
  JSON.stringify(
    target_seq === undefined
      ? { [MARKER.delete]: true, target_id }
      : { [MARKER.delete]: true, target_id, target_seq },
  );

export const reactEnvelope = (target_id: string, emoji: string, op: ReactionOp): string =>
  JSON.stringify({ [MARKER.react]: true, target_id, emoji, op });

export const historyRequest = (req_id: string, after = 0): string =>
  JSON.stringify({ [MARKER.histReq]: true, req_id, after });

export const historyResponse = (r: Omit<HistoryResponse, 'bot2bot_hist_resp_v1'>): string =>
  JSON.stringify({ [MARKER.histResp]: true, ...r });

export const adoptEnvelope = (a: Omit<AdoptEnvelope, 'bot2bot_adopt_v1'>): string =>
  JSON.stringify({ [MARKER.adopt]: true, ...a });

/** Reaction emoji rule of the MCP tools and the UI: trimmed, 1–24 UTF-16 units. */
export const REACTION_MAX_CHARS = 24;
export const REACTION_PRESETS = ['👍', '❤️', '😂', '🔥', '😮', '👎'] as const;
