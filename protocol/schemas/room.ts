/**
 * Schemas of the room routes (reference-relay.md §2). The relay validates with these, clients
 * parse responses with them, and the OpenAPI document is generated from them, so the three
 * cannot drift apart.
 */
import { z } from 'zod';
import { strictBase64Length } from '../base64.js';
import { MESSAGE_ID_RE } from '../ids.js';
import { LIMITS } from '../limits.js';
import { isValidTtl } from '../ttl.js';
import { epochMs, laxBoxPub, seq } from './common.js';

const ciphertext = z
  .string()
  .max(LIMITS.ciphertextChars)
  .refine((s) => {
    const n = strictBase64Length(s);
    return n !== null && n <= LIMITS.ciphertextChars;
  })
  .meta({
    description:
      'base64(nacl.secretbox(utf8 plaintext, nonce, key)); strict canonical, padded; ≤ 131072 characters',
  });

const nonce = z
  .string()
  .max(LIMITS.nonceMaxChars)
  .refine((s) => strictBase64Length(s) === LIMITS.nonceBytes)
  .meta({ description: 'base64 of 24 random bytes' });

const replyTo = z
  .string()
  .regex(MESSAGE_ID_RE)
  .meta({ description: 'id of the message this one answers; its existence is not checked' });
const ttlMs = z.number().refine(isValidTtl).meta({
  description: '0 (no expiry) or 30000–31622400000 ms; the relay prunes the message after ts + ttl_ms',
});

/**
 * The body of `POST /api/rooms/{id}/messages` and of a WebSocket post frame. Unknown fields are
 * dropped, never relayed. The signature fields are only typed loosely here: a post whose
 * signature is malformed is a 401 `bad sender_sig`, not a 400.
 */
export const PostMessageBody = z
  .object({
    ciphertext,
    nonce,
    sender: z
      .string()
      .max(LIMITS.senderMaxChars)
      .nullish()
      .meta({ description: 'display label, ≤ 64 characters; ignored when the post is signed' }),
    reply_to: replyTo.nullish(),
    ttl_ms: ttlMs.nullish(),
    sender_handle: z.unknown().optional().meta({ description: 'registered handle that signs this post' }),
    sender_ts: z.unknown().optional().meta({ description: 'signing time, ms (number or numeric string)' }),
    sender_nonce: z
      .unknown()
      .optional()
      .meta({ description: '16–64 characters of [A-Za-z0-9+/=_-], unique per handle' }),
    sender_sig: z.unknown().optional().meta({
      description:
        'base64 Ed25519 signature of "room-msg <roomId> <sender_ts> <sender_nonce> <sha256hex(ciphertext)>"',
    }),
    signed_only: z.unknown().optional().meta({
      description: 'literal true (on a signed post) locks the room to signed senders for its lifetime',
    }),
    expected_last_seq: z.number().int().min(0).nullish().meta({
      description:
        "optimistic posting: append only if the room's last_seq (0 for an empty or missing room) is exactly this, else 409 {error, last_seq} and nothing is stored",
    }),
  })
  .meta({ id: 'PostMessage' });
export type PostMessageBody = z.infer<typeof PostMessageBody>;

/** A message as the relay stores, replays and broadcasts it (without the `type` tag). */
export const StoredMessage = z
  .object({
    seq,
    id: z.string().meta({ description: 'server-generated UUID v4' }),
    sender: z.string(),
    sender_verified: z.boolean().meta({
      description: 'true only when a registered @handle signed the post; the only trustworthy attribution',
    }),
    ciphertext: z.string(),
    nonce: z.string(),
    ts: epochMs,
    ttl_ms: z.number().optional(),
    reply_to: z.string().optional(),
  })
  .meta({ id: 'Message' });
export type StoredMessage = z.infer<typeof StoredMessage>;

/** The 409 answer to a post whose `expected_last_seq` no longer holds. */
export const PostConflictBody = z
  .object({
    error: z.string(),
    last_seq: seq.meta({ description: "the room's last_seq now; read from there and try again" }),
  })
  .meta({ id: 'PostConflict' });

export const PostMessageResponse = z
  .object({ ok: z.literal(true), id: z.string(), seq })
  .meta({ id: 'PostMessageResult' });

export const MessagesResponse = z
  .object({
    messages: z.array(StoredMessage),
    last_seq: seq.meta({ description: 'seq of the newest retained message, 0 when none' }),
    exists: z
      .boolean()
      .optional()
      .meta({ description: 'false when the room does not exist (nothing was waited for)' }),
    count: z.number().int().optional(),
  })
  .meta({ id: 'Messages' });

export const RoomStatus = z
  .object({
    exists: z.boolean(),
    roomId: z.string(),
    participants: z.number().int().optional(),
    recent_count: z.number().int().optional(),
    last_seq: seq.optional(),
    oldest_seq: seq.optional(),
    age_seconds: z.number().optional(),
    idle_seconds: z.number().optional(),
    signed_only: z.boolean().optional(),
  })
  .meta({ id: 'RoomStatus' });

export const ListeningBody = z.object({ name: z.unknown(), box_pub: z.unknown().optional() }).meta({
  id: 'Listening',
  description: 'presence heartbeat: {name, box_pub?}; name uses the presence character set',
});

export const ClaimBody = z
  .object({
    handle: z.string().meta({ description: 'the signing handle; its cursor is per (handle, room)' }),
    exclude_senders: z
      .unknown()
      .optional()
      .meta({ description: 'sender labels never to claim (strings of 1–64 characters)' }),
  })
  .meta({ id: 'Claim' });

export const AckBody = z
  .object({ handle: z.string(), claim_id: z.unknown(), seq: z.unknown() })
  .meta({ id: 'Ack' });

export const ClaimResponse = z
  .object({
    ok: z.literal(true),
    empty: z.boolean().optional(),
    claim_id: z.string().optional(),
    message: StoredMessage.optional(),
    cursor: z.number().int(),
    last_seq: seq,
    exists: z.boolean().optional(),
  })
  .meta({ id: 'ClaimResult' });

export const AckResponse = z
  .object({ ok: z.literal(true), advanced: z.boolean(), cursor: z.number().int() })
  .meta({ id: 'AckResult' });

export { laxBoxPub };
