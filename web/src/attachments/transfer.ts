/**
 * Browser side of attachments: seal a File chunk by chunk with a fresh key and upload the
 * ciphertext; fetch a file's chunks, open and verify them. Plaintext never leaves this module
 * except as the verified result. Both take an AbortSignal and report progress.
 */
import { BLOB_TOKEN_HEADER } from '@protocol/schemas/blobs.js';
import {
  FILE_CHUNK_BYTES,
  FileIntegrityError,
  assembleFile,
  chunkCount,
  encodeFileSecret,
  fileSecretOf,
  newDeleteSecret,
  newFileSecret,
  openFileChunk,
  sealChunk,
  type FileEnvelope,
} from '@protocol/attachments.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { deleteSecretOf, forgetDeleteSecret } from './deleteSecrets.js';
import { makeThumb } from './thumbnail.js';

export { FileIntegrityError };

export type Progress = (done: number, total: number) => void;

const api = (roomId: string) => `/api/rooms/${encodeURIComponent(roomId)}/blobs`;

async function errorText(res: Response): Promise<string> {
  try {
    const j = (await res.json()) as { error?: string };
    return j.error ?? `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}

export interface Uploaded {
  /** The envelope fields a message must carry to share the file. */
  fields: Omit<FileEnvelope, 'bot2bot_file_v1'>;
  /** Frees the file at the relay; kept by the uploader only, never put in the message. */
  deleteSecret: string;
  expiresAt: number;
}

/** Seal and upload `file`. */
export async function uploadFile(
  roomId: string,
  file: File,
  opts: { ttlMs?: number; caption?: string; onProgress?: Progress; signal?: AbortSignal } = {},
): Promise<Uploaded> {
  const size = file.size;
  const n = chunkCount(size);
  let total = 0;
  for (let i = 0; i < n; i++) total += Math.min(FILE_CHUNK_BYTES, size - i * FILE_CHUNK_BYTES) + 16;
  const del = newDeleteSecret();
  const created = await fetch(api(roomId), {
    method: 'POST',
    credentials: 'omit',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      size: total,
      chunks: n,
      delete_hash: del.hash,
      ...(opts.ttlMs ? { ttl_ms: opts.ttlMs } : {}),
    }),
    signal: opts.signal,
  });
  if (!created.ok) throw new Error(await errorText(created));
  const { blob_id, token, expires_at } = (await created.json()) as {
    blob_id: string;
    token: string;
    expires_at: number;
  };
  const secret = newFileSecret();
  const hash = sha256.create();
  try {
    for (let i = 0; i < n; i++) {
      const plain = new Uint8Array(
        await file.slice(i * FILE_CHUNK_BYTES, Math.min(size, (i + 1) * FILE_CHUNK_BYTES)).arrayBuffer(),
      );
      hash.update(plain);
      const cipher = sealChunk(secret, i, i === n - 1, plain);
      const res = await fetch(`${api(roomId)}/${blob_id}/chunks/${i}`, {
        method: 'PUT',
        credentials: 'omit',
        headers: { 'content-type': 'application/octet-stream', [BLOB_TOKEN_HEADER]: token },
        body: cipher as unknown as BodyInit,
        signal: opts.signal,
      });
      if (!res.ok) throw new Error(await errorText(res));
      opts.onProgress?.(Math.min(size, (i + 1) * FILE_CHUNK_BYTES), size);
    }
  } catch (e) {
    // Cancelled or failed: free what was reserved.
    void fetch(`${api(roomId)}/${blob_id}`, {
      method: 'DELETE',
      credentials: 'omit',
      headers: { [BLOB_TOKEN_HEADER]: del.secret },
    }).catch(() => undefined);
    throw e;
  }
  const fields: Omit<FileEnvelope, 'bot2bot_file_v1'> = {
    blob_id,
    token,
    ...encodeFileSecret(secret),
    name: file.name || 'file',
    type: file.type || 'application/octet-stream',
    size,
    chunk_size: FILE_CHUNK_BYTES,
    chunks: n,
    sha256: bytesToHex(hash.digest()),
  };
  if (opts.caption) fields.text = opts.caption;
  const thumb = await makeThumb(file).catch(() => null);
  if (thumb) {
    fields.thumb = thumb.thumb;
    fields.w = thumb.w;
    fields.h = thumb.h;
  }
  return { fields, deleteSecret: del.secret, expiresAt: expires_at };
}

/** Fetch, open and verify a file; throws FileIntegrityError unless every check passes. */
export async function downloadFile(
  roomId: string,
  env: FileEnvelope,
  opts: { onProgress?: Progress; signal?: AbortSignal } = {},
): Promise<Uint8Array> {
  const secret = fileSecretOf(env);
  if (!secret) throw new FileIntegrityError('the attachment key is malformed');
  const parts: Uint8Array[] = [];
  let done = 0;
  for (let i = 0; i < env.chunks; i++) {
    const res = await fetch(`${api(roomId)}/${env.blob_id}/chunks/${i}`, {
      credentials: 'omit',
      signal: opts.signal,
    });
    if (!res.ok)
      throw new Error(res.status === 404 ? 'the file is no longer on the relay' : await errorText(res));
    const plain = openFileChunk(env, secret, i, new Uint8Array(await res.arrayBuffer()));
    parts.push(plain);
    done += plain.length;
    opts.onProgress?.(done, env.size);
  }
  return assembleFile(env, parts);
}

/**
 * Free a deleted message's file at the relay (best effort): with the delete secret when this
 * browser uploaded it, else with the envelope's token, which frees only files reserved without
 * a delete secret (older clients); the relay refuses it for anyone else's.
 */
export function freeFile(roomId: string, env: FileEnvelope, secret?: string): void {
  void (async () => {
    const own = secret ?? (await deleteSecretOf(roomId, env.blob_id));
    const res = await fetch(`${api(roomId)}/${env.blob_id}`, {
      method: 'DELETE',
      credentials: 'omit',
      headers: { [BLOB_TOKEN_HEADER]: own ?? env.token },
    });
    if (own && (res.ok || res.status === 404)) await forgetDeleteSecret(roomId, env.blob_id);
  })().catch(() => undefined);
}
