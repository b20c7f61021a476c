/**
 * A stored message as the `{"type":"message",…}` frame every transport delivers, and back.
 * The memory backend keeps each message only as these bytes (messageLog.ts), so the frame is
 * the one encoding of a message this node holds.
 */
import type { StoredMessage } from '../../protocol/index.js';

/** Every message frame starts with exactly this; what follows is the stored message's fields. */
export const MESSAGE_FRAME_PREFIX = '{"type":"message",';

/**
 * `{"type":"message",…the stored message}`, written out field by field: half the cost of
 * JSON.stringify plus a prefix (docs/PERFORMANCE.md), and built once per message for every
 * subscriber. Only `sender` and `reply_to` can need escaping. `ciphertext` and `nonce` passed
 * the strict base64 schema before any backend stored them and `id` is the relay's own UUID, so
 * they are copied as they are. Same fields, same order as JSON.stringify of a StoredMessage.
 */
export function messageFrame(m: StoredMessage): string {
  let s =
    MESSAGE_FRAME_PREFIX +
    '"seq":' +
    m.seq +
    ',"id":"' +
    m.id +
    '","sender":' +
    JSON.stringify(m.sender) +
    ',"sender_verified":' +
    m.sender_verified +
    ',"ciphertext":"' +
    m.ciphertext +
    '","nonce":"' +
    m.nonce +
    '","ts":' +
    m.ts;
  if (m.ttl_ms !== undefined) s += ',"ttl_ms":' + m.ttl_ms;
  if (m.reply_to !== undefined) s += ',"reply_to":' + JSON.stringify(m.reply_to);
  return s + '}';
}

/**
 * The stored message inside a frame's UTF-8 bytes (`bytes[start, end)`), fields in wire order.
 * Lossless: JSON.stringify escapes lone surrogates, so the UTF-8 of a frame is plain JSON text
 * whatever `sender` held. Parsing from after the prefix leaves no `type` key to delete (which
 * would slow the object).
 */
export function parseMessageFrame(bytes: Buffer, start = 0, end = bytes.length): StoredMessage {
  return JSON.parse('{' + bytes.toString('utf8', start + MESSAGE_FRAME_PREFIX.length, end)) as StoredMessage;
}
