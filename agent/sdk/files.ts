/**
 * Encrypted attachments for agents (docs/ATTACHMENTS.md): `sendFile` seals a file with a fresh
 * key, uploads the ciphertext chunks and posts the sealed `bot2bot_file_v1` envelope;
 * `download` fetches the chunks, opens and verifies them, and only then returns or writes bytes.
 */
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  BLOB_TOKEN_HEADER,
  FILE_CHUNK_BYTES,
  FileIntegrityError,
  assembleFile,
  chunkCount,
  encodeFileSecret,
  fileEnvelope,
  fileSecretOf,
  newDeleteSecret,
  newFileSecret,
  openFileChunk,
  sealChunk,
  sha256HexBytes,
  type FileEnvelope,
} from '../../protocol/index.js';
import { Bot2BotError, HttpError } from './errors.js';
import { requestJson, retryAfterMs, sleep } from './http.js';
import type { Message } from './message.js';
import type { Room } from './room.js';

export { FileIntegrityError };

export interface SendFileOptions {
  /** Shown to readers; default: the file's base name (or `file` for bytes). */
  name?: string;
  /** MIME type; default: guessed from the name's extension. */
  type?: string;
  /** A caption shown with the file. */
  text?: string;
  replyTo?: string;
  ttlMs?: number;
  signal?: AbortSignal;
  /** Called after each chunk with bytes done and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface DownloadOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

const PARALLEL = 4;
const TRIES = 4;
const BACKOFF_MS = [300, 600, 1100, 1900];

const TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  txt: 'text/plain',
  md: 'text/markdown',
  log: 'text/plain',
  csv: 'text/csv',
  json: 'application/json',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tar: 'application/x-tar',
  diff: 'text/x-diff',
  patch: 'text/x-diff',
  html: 'text/html',
};

export function guessType(name: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase();
  return (ext && TYPES[ext]) || 'application/octet-stream';
}

/** A name safe to write under a directory: no path, no control characters, never empty or dot-only. */
export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim()
    .slice(0, 200);
  return clean === '' || /^\.+$/.test(clean) ? 'file' : clean;
}

/** One raw request with the SDK's retry policy (5xx, 429, network errors). */
async function rawRequest(
  room: Room,
  what: string,
  url: string,
  init: RequestInit,
  okExtra: number[] = [],
): Promise<Response> {
  const doFetch = room.fetchImpl ?? fetch;
  let last: unknown;
  for (let attempt = 0; attempt < TRIES; attempt++) {
    const signal = init.signal
      ? AbortSignal.any([init.signal, AbortSignal.timeout(room.timeoutMs)])
      : AbortSignal.timeout(room.timeoutMs);
    let res: Response;
    try {
      res = await doFetch(url, { ...init, signal });
    } catch (e) {
      if (init.signal?.aborted) throw e;
      last = e;
      await sleep(BACKOFF_MS[attempt]!, init.signal ?? undefined);
      continue;
    }
    if (res.ok || okExtra.includes(res.status)) return res;
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    last = new HttpError(res.status, body, what);
    if (res.status !== 429 && res.status < 500) throw last;
    await sleep(
      retryAfterMs(res.headers.get('retry-after')) ?? BACKOFF_MS[attempt]!,
      init.signal ?? undefined,
    );
  }
  throw last instanceof Error ? last : new Error(`${what} failed`);
}

/** Run `fn` over 0..n-1 with at most `width` in flight. */
async function pool(n: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(width, n) }, worker));
}

/**
 * Encrypt and upload a file without posting it: the envelope a message must carry to share it.
 * `sendFile` posts it; callers with their own posting rules (the MCP server) post it themselves.
 */
export async function uploadFile(
  room: Room,
  source: string | Uint8Array,
  opts: SendFileOptions = {},
): Promise<FileEnvelope> {
  const bytes = typeof source === 'string' ? new Uint8Array(await readFile(source)) : source;
  const name = opts.name ?? (typeof source === 'string' ? basename(source) : 'file');
  const type = opts.type ?? guessType(name);
  const secret = newFileSecret();
  const n = chunkCount(bytes.length);
  const cipherLen = (i: number) => Math.min(FILE_CHUNK_BYTES, bytes.length - i * FILE_CHUNK_BYTES) + 16;
  let total = 0;
  for (let i = 0; i < n; i++) total += cipherLen(i);
  // Only this process can free the file: the relay is given the hash of a secret kept here.
  const del = newDeleteSecret();
  const body: Record<string, unknown> = { size: total, chunks: n, delete_hash: del.hash };
  if (opts.ttlMs) body.ttl_ms = opts.ttlMs;
  const created = await requestJson<{ blob_id: string; token: string; expires_at: number }>(
    'upload',
    `${room.apiBase}/blobs`,
    { method: 'POST', body },
    room.http({ tries: TRIES, signal: opts.signal }),
  );
  const { blob_id, token, expires_at } = created.body;
  room.blobSecrets.keep(blob_id, del.secret, expires_at);
  let done = 0;
  await pool(n, PARALLEL, async (i) => {
    const plain = bytes.subarray(i * FILE_CHUNK_BYTES, Math.min(bytes.length, (i + 1) * FILE_CHUNK_BYTES));
    const cipher = sealChunk(secret, i, i === n - 1, plain);
    // 409 on a retry: the earlier attempt stored the chunk before its answer was lost.
    await rawRequest(
      room,
      'upload',
      `${room.apiBase}/blobs/${blob_id}/chunks/${i}`,
      {
        method: 'PUT',
        headers: { 'Content-Type': 'application/octet-stream', [BLOB_TOKEN_HEADER]: token },
        body: cipher as unknown as BodyInit,
        signal: opts.signal ?? null,
      },
      [409],
    );
    done += plain.length;
    opts.onProgress?.(done, bytes.length);
  });
  const fields: Omit<FileEnvelope, 'bot2bot_file_v1'> = {
    blob_id,
    token,
    ...encodeFileSecret(secret),
    name,
    type,
    size: bytes.length,
    chunk_size: FILE_CHUNK_BYTES,
    chunks: n,
    sha256: sha256HexBytes(bytes),
  };
  if (opts.text) fields.text = opts.text;
  return { bot2bot_file_v1: true, ...fields };
}

export async function sendFile(
  room: Room,
  source: string | Uint8Array,
  opts: SendFileOptions = {},
): Promise<{ id: string; seq: number; attachment: FileEnvelope }> {
  const attachment = await uploadFile(room, source, opts);
  const { bot2bot_file_v1: _marker, ...fields } = attachment;
  const sent = await room.send(fileEnvelope(fields), {
    replyTo: opts.replyTo,
    ttlMs: opts.ttlMs,
    signal: opts.signal,
  });
  return { ...sent, attachment };
}

function envelopeOf(a: FileEnvelope | Message): FileEnvelope {
  if ('bot2bot_file_v1' in a) return a;
  if (a.attachment) return a.attachment;
  throw new Bot2BotError(`message ${a.id} carries no attachment`);
}

/** Fetch, open and verify a file; nothing is returned unless every check passed. */
export async function fetchFile(
  room: Room,
  attachment: FileEnvelope | Message,
  opts: DownloadOptions = {},
): Promise<Uint8Array> {
  const env = envelopeOf(attachment);
  const secret = fileSecretOf(env);
  if (!secret) throw new FileIntegrityError('the attachment key is malformed');
  const parts: Uint8Array[] = new Array<Uint8Array>(env.chunks);
  let done = 0;
  await pool(env.chunks, PARALLEL, async (i) => {
    const res = await rawRequest(room, 'download', `${room.apiBase}/blobs/${env.blob_id}/chunks/${i}`, {
      signal: opts.signal ?? null,
    });
    parts[i] = openFileChunk(env, secret, i, new Uint8Array(await res.arrayBuffer()));
    done += parts[i]!.length;
    opts.onProgress?.(done, env.size);
  });
  return assembleFile(env, parts);
}

/**
 * Download to `dest`: a file path, or an existing directory (the sender's name, made safe, is
 * used inside it). Written to a temporary name and renamed once verified.
 */
export async function downloadFile(
  room: Room,
  attachment: FileEnvelope | Message,
  dest: string,
  opts: DownloadOptions = {},
): Promise<{ path: string; bytes: number; sha256: string }> {
  const env = envelopeOf(attachment);
  const bytes = await fetchFile(room, env, opts);
  let path = dest;
  const st = await stat(dest).catch(() => null);
  if (st?.isDirectory()) path = join(dest, safeFileName(env.name));
  else await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.part-${process.pid}`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
  return { path, bytes: bytes.length, sha256: env.sha256 };
}

/**
 * Free an attachment's blob at the relay (its message was deleted for everyone): with the delete
 * secret when this Room uploaded it, else with the envelope's token, which frees only blobs
 * reserved without a delete secret (older clients). True when it is gone (now or already), false
 * when it is another participant's.
 */
export async function freeBlob(room: Room, file: { blob_id: string; token: string }): Promise<boolean> {
  const own = room.blobSecrets.get(file.blob_id);
  const res = await rawRequest(
    room,
    'free',
    `${room.apiBase}/blobs/${file.blob_id}`,
    { method: 'DELETE', headers: { [BLOB_TOKEN_HEADER]: own ?? file.token } },
    // 403: another participant's file, which only its uploader may free.
    [403, 404],
  );
  await res.body?.cancel();
  room.blobSecrets.forget(file.blob_id);
  return res.status !== 403;
}
