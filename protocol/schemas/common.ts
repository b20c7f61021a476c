import { z } from 'zod';
import { strictBase64Length, isLaxBoxPub } from '../base64.js';
import { LIMITS } from '../limits.js';

/** Strict canonical base64 of exactly `bytes` bytes (see base64.ts). */
export const strictB64 = (bytes: number, description: string) =>
  z
    .string()
    .max(Math.ceil(bytes / 3) * 4)
    .refine((s) => strictBase64Length(s) === bytes)
    .meta({ description, format: 'byte' });

export const laxBoxPub = z.string().refine(isLaxBoxPub).meta({
  description:
    'X25519 public key for presence: 40–64 characters of base64 or unpadded base64url decoding to 32 bytes',
});

export const epochMs = z.number().int().meta({ description: 'Unix epoch in milliseconds' });
export const seq = z
  .number()
  .int()
  .meta({ description: 'Per-room sequence: starts at the room creation time in ms, +1 per message' });

export const ErrorBodySchema = z
  .object({ error: z.string() })
  .meta({ id: 'Error', description: 'Every error response: a human-readable string' });

export { LIMITS };
