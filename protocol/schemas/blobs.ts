/**
 * Schemas of the blob routes: encrypted attachment chunks (docs/ATTACHMENTS.md). The relay stores
 * and serves opaque ciphertext; everything it could learn beyond lengths is inside the sealed
 * room message that names the blob.
 */
import { z } from 'zod';
import { FILE_CHUNK_CIPHER_MAX } from '../attachments.js';
import { isValidTtl } from '../ttl.js';
import { epochMs } from './common.js';

/** Error strings of the blob routes. */
export const BLOB_ERR = {
  badBlob: 'bad blob request',
  tooLarge: 'file too large',
  roomQuota: 'room attachment quota reached',
  ipQuota: 'attachment quota for this address reached',
  roomCount: 'too many attachments in this room',
  globalFuse: 'attachment storage full',
  noSuchBlob: 'no such blob',
  badToken: 'bad blob token',
  badChunk: 'bad chunk index',
  chunkTooLarge: 'chunk too large',
  chunkExists: 'chunk already uploaded',
  overDeclared: 'chunks exceed the declared size',
  chunkMissing: 'chunk not uploaded yet',
  wrongMediaType: 'expected Content-Type: application/octet-stream',
} as const;

/** A SHA-256 digest in base64url without padding. */
export const DELETE_HASH_RE = /^[A-Za-z0-9_-]{43}$/;

export const CreateBlobBody = z
  .object({
    size: z
      .number()
      .int()
      .min(1)
      .meta({ description: 'total ciphertext bytes of all chunks (plaintext + 16 per chunk)' }),
    chunks: z.number().int().min(1).meta({ description: 'number of chunks the blob will hold' }),
    ttl_ms: z.number().refine(isValidTtl).optional().meta({
      description:
        "the naming message's ttl_ms: the blob lives no longer than it (and never past BLOB_TTL_MS)",
    }),
    delete_hash: z.string().regex(DELETE_HASH_RE).optional().meta({
      description:
        'base64url SHA-256 of a secret only the uploader keeps (not in the file envelope): then DELETE needs that secret as `X-Blob-Token` instead of the token',
    }),
  })
  .meta({ id: 'CreateBlob' });
export type CreateBlobBody = z.infer<typeof CreateBlobBody>;

export const CreateBlobResponse = z
  .object({
    blob_id: z.string(),
    token: z.string().meta({
      description:
        'upload token (and delete token, unless a delete_hash was given): send it as `X-Blob-Token`',
    }),
    expires_at: epochMs,
    max_chunk_bytes: z
      .number()
      .int()
      .meta({ description: `largest chunk accepted (${FILE_CHUNK_CIPHER_MAX})` }),
  })
  .meta({ id: 'CreatedBlob' });
export type CreateBlobResponse = z.infer<typeof CreateBlobResponse>;

export const BlobInfo = z
  .object({
    blob_id: z.string(),
    size: z.number().int(),
    chunks: z.number().int(),
    received: z.number().int().meta({ description: 'chunks uploaded so far' }),
    complete: z.boolean(),
    expires_at: epochMs,
  })
  .meta({ id: 'BlobInfo' });
export type BlobInfo = z.infer<typeof BlobInfo>;

export const BLOB_TOKEN_HEADER = 'x-blob-token';
