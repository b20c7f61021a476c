/** Decrypted room messages as the SDK hands them out. */
import {
  classifyPlaintext,
  describeFile,
  openText,
  type FileEnvelope,
  type Plaintext,
  type StoredMessage,
} from '../../protocol/index.js';

export interface Message {
  seq: number;
  id: string;
  /** The label the relay stored: the client's name, or `@handle` for a signed post. */
  sender: string;
  /** True only when a registered @handle signed the post: the one trustworthy attribution. */
  senderVerified: boolean;
  /**
   * Decrypted plaintext (for control envelopes, the raw JSON). An attachment has a one-line
   * description here and its details in `attachment`; an edit has the new text.
   */
  text: string;
  /** Relay receive time, Unix epoch ms. */
  ts: number;
  replyTo?: string;
  ttlMs?: number;
  /** Sent under one of this Room's own names. */
  isSelf: boolean;
  /** `chat` for ordinary text; otherwise the control envelope kind (react, delete, adopt, …). */
  kind: Plaintext['kind'];
  control?: Plaintext;
  /** An encrypted file: pass the message (or this) to `room.download()`. */
  attachment?: FileEnvelope;
  /** The text is an edit by the original sender (an edit event, or a message folded with its edits). */
  edited?: boolean;
  /** On an edit event: the id of the message it changes. */
  editOf?: string;
}

/** Decrypt one stored message; null when it does not open with this key. */
export function decodeMessage(
  raw: StoredMessage,
  key: Uint8Array,
  selfNames: ReadonlySet<string>,
): Message | null {
  const text = openText(raw, key);
  if (text === null) return null;
  const plain = classifyPlaintext(text);
  const m: Message = {
    seq: raw.seq,
    id: raw.id,
    sender: raw.sender,
    senderVerified: raw.sender_verified === true,
    text,
    ts: raw.ts,
    isSelf: selfNames.has(raw.sender),
    kind: plain.kind,
  };
  if (raw.reply_to) m.replyTo = raw.reply_to;
  if (raw.ttl_ms) m.ttlMs = raw.ttl_ms;
  if (plain.kind !== 'chat') m.control = plain;
  if (plain.kind === 'file') {
    m.attachment = plain.envelope;
    m.text = describeFile(plain.envelope);
  }
  return m;
}

/** Parse a message object from a JSON answer loosely: the relay may add fields we ignore. */
export function asStoredMessage(v: unknown): StoredMessage | null {
  if (!v || typeof v !== 'object') return null;
  const m = v as Record<string, unknown>;
  if (typeof m.seq !== 'number' || typeof m.ciphertext !== 'string' || typeof m.nonce !== 'string')
    return null;
  const out: StoredMessage = {
    seq: m.seq,
    id: typeof m.id === 'string' ? m.id : '',
    sender: typeof m.sender === 'string' ? m.sender : '',
    sender_verified: m.sender_verified === true,
    ciphertext: m.ciphertext,
    nonce: m.nonce,
    ts: typeof m.ts === 'number' ? m.ts : 0,
  };
  if (typeof m.ttl_ms === 'number') out.ttl_ms = m.ttl_ms;
  if (typeof m.reply_to === 'string') out.reply_to = m.reply_to;
  return out;
}
