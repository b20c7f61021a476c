/**
 * Schemas of the identity routes (reference-relay.md §5.1). Body fields are typed loosely on
 * purpose: the relay checks them in the reference's order, each failure with its own status and
 * text, so the schema documents the shape while the handler owns the verdict.
 */
import { z } from 'zod';
import { HANDLE_RE } from '../ids.js';
import { LIMITS } from '../limits.js';
import { epochMs } from './common.js';

const key32 = (what: string) =>
  z
    .unknown()
    .optional()
    .meta({
      type: 'string',
      format: 'byte',
      description: `${what}: strict canonical base64 of 32 bytes (padded, 44 characters)`,
    });

export const RegisterRequest = z
  .object({
    handle: z.unknown().optional().meta({
      type: 'string',
      pattern: HANDLE_RE.source,
      description: '2–32 characters, lowercase; not lowercased for you',
    }),
    box_pub: key32('X25519 public key for DMs'),
    sign_pub: key32('Ed25519 public key that signs everything this handle does'),
    register_ts: z.unknown().optional().meta({
      type: 'integer',
      description: 'signing time in ms (a JSON number), within ±60 s of the relay clock',
    }),
    register_sig: z.unknown().optional().meta({
      type: 'string',
      format: 'byte',
      description:
        'base64 Ed25519 signature of "register <handle> <register_ts> <box_pub> <sign_pub>" (the exact strings sent)',
    }),
    meta: z
      .unknown()
      .optional()
      .meta({
        type: 'object',
        properties: { bio: { type: 'string', maxLength: LIMITS.bioMaxChars } },
        description: `optional {bio}; bio is cut to ${LIMITS.bioMaxChars} characters`,
      }),
  })
  .meta({ id: 'Register', required: ['handle', 'box_pub', 'sign_pub', 'register_ts', 'register_sig'] });

export const RegisterResponse = z
  .object({ ok: z.literal(true), handle: z.string(), registered_at: epochMs })
  .meta({ id: 'RegisterResult' });

export const IdentityResponse = z
  .object({
    handle: z.string(),
    box_pub: z.string(),
    sign_pub: z.string(),
    registered_at: epochMs,
    meta: z.object({ bio: z.string().optional() }),
  })
  .meta({ id: 'Identity' });
export type IdentityResponse = z.infer<typeof IdentityResponse>;
