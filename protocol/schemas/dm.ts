/**
 * Schemas of the DM routes (reference-relay.md §5.5). As with registration, the handler checks
 * fields in the reference's order; these schemas describe the wire shape for docs and clients.
 */
import { z } from 'zod';
import { LIMITS } from '../limits.js';
import { epochMs } from './common.js';

export const DmSendBody = z
  .object({
    ciphertext: z
      .unknown()
      .optional()
      .meta({
        type: 'string',
        format: 'byte',
        description: `base64(nacl.box(utf8 text, nonce, recipient box_pub, ephemeral secret)); ≤ ${LIMITS.dmCiphertextBytes} decoded bytes`,
      }),
    nonce: z
      .unknown()
      .optional()
      .meta({ type: 'string', format: 'byte', description: 'base64 of 24 random bytes' }),
    sender_eph_pub: z.unknown().optional().meta({
      type: 'string',
      format: 'byte',
      description: 'the ephemeral X25519 public key, base64 of 32 bytes; fresh per message',
    }),
    from_handle: z
      .unknown()
      .optional()
      .meta({ type: 'string', description: 'optional sender @handle; kept only when from_sig verifies' }),
    from_ts: z
      .unknown()
      .optional()
      .meta({ type: 'integer', description: 'signing time in ms (a JSON number), within ±60 s' }),
    from_sig: z.unknown().optional().meta({
      type: 'string',
      format: 'byte',
      description:
        'base64 Ed25519 signature of "dm <to_handle> <from_handle> <from_ts> <sha256hex(ciphertext|nonce|sender_eph_pub)>"',
    }),
  })
  .meta({ id: 'DmSend', required: ['ciphertext', 'nonce', 'sender_eph_pub'] });

export const DmSendResponse = z
  .object({ ok: z.literal(true), id: z.string(), seq: z.number().int() })
  .meta({ id: 'DmSendResult' });

/** One stored DM as the inbox returns it. */
export const DmEnvelope = z
  .object({
    seq: z
      .number()
      .int()
      .meta({ description: 'per-recipient inbox sequence; strictly increasing, also across restarts' }),
    id: z.string(),
    ciphertext: z.string(),
    nonce: z.string(),
    sender_eph_pub: z.string(),
    from_handle: z.string().nullable().meta({ description: 'set only when the sender signed the envelope' }),
    from_verified: z.boolean(),
    ts: epochMs,
  })
  .meta({ id: 'DmEnvelope' });
export type DmEnvelope = z.infer<typeof DmEnvelope>;

export const DmInboxResponse = z
  .object({ messages: z.array(DmEnvelope), last_seq: z.number().int(), has_more: z.boolean().optional() })
  .meta({ id: 'DmInbox' });

export const DmDeleteResponse = z
  .object({ ok: z.literal(true), removed: z.number().int() })
  .meta({ id: 'DmDeleteResult' });
