/**
 * Encrypted attachment chunks (docs/ATTACHMENTS.md): create a blob, upload its chunks as raw
 * ciphertext, read them back, free it early. The relay learns lengths and nothing else; the key,
 * name, type and digest travel in the sealed room message that names the blob.
 */
import type { IncomingMessage } from 'node:http';
import {
  BLOB_ERR,
  BLOB_ID_RE,
  BLOB_TOKEN_HEADER,
  BlobInfo,
  CreateBlobBody,
  CreateBlobResponse,
  ERR,
  ErrorBodySchema,
  FILE_CHUNK_CIPHER_MAX,
  FILE_TAG_BYTES,
  RETRY_AFTER_S,
} from '../../protocol/index.js';
import type { BlobLimits, BlobStore, CreateOutcome } from '../blobs/types.js';
import { rateLimitOrThrow, type RelayDeps } from '../deps.js';
import { HttpError, sendJson, sendText } from '../http/respond.js';
import { route, type RouteDef } from '../http/router.js';

const TAG = 'Attachments';
const err = (description: string) => ({ description, schema: ErrorBodySchema });
const INDEX_RE = /^(0|[1-9][0-9]{0,5})$/;
/** Quotas free up as blobs expire or rooms go; a client may try again later. */
const QUOTA_RETRY_S = 60;

const REFUSAL: Record<Exclude<CreateOutcome, { ok: true }>['reason'], [number, string]> = {
  room_quota: [429, BLOB_ERR.roomQuota],
  ip_quota: [429, BLOB_ERR.ipQuota],
  room_count: [429, BLOB_ERR.roomCount],
  global_fuse: [503, BLOB_ERR.globalFuse],
};

function blobId(params: Record<string, string>): string {
  const id = params.blobId ?? '';
  if (!BLOB_ID_RE.test(id)) throw new HttpError(404, BLOB_ERR.noSuchBlob);
  return id;
}

function chunkIndex(params: Record<string, string>): number {
  const i = params.index ?? '';
  if (!INDEX_RE.test(i)) throw new HttpError(400, BLOB_ERR.badChunk);
  return Number(i);
}

function tokenOf(req: IncomingMessage): string {
  const t = req.headers[BLOB_TOKEN_HEADER];
  if (typeof t !== 'string' || t.length === 0 || t.length > 64) throw new HttpError(403, BLOB_ERR.badToken);
  return t;
}

/** A raw body under a byte cap; the cap is checked as bytes arrive, not trusted from headers. */
function readChunk(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > max) {
      req.resume();
      return reject(new HttpError(413, BLOB_ERR.chunkTooLarge));
    }
    const parts: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) return;
      size += c.length;
      if (size > max) {
        done = true;
        parts.length = 0;
        req.resume();
        reject(new HttpError(413, BLOB_ERR.chunkTooLarge));
        return;
      }
      parts.push(c);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts, size));
    });
    req.on('error', (e) => {
      if (done) return;
      done = true;
      reject(e);
    });
  });
}

export function blobRoutes(deps: RelayDeps, store: BlobStore, limits: BlobLimits): RouteDef[] {
  const limit = (ip: string, roomId: string) =>
    rateLimitOrThrow(deps, ip, `blob:${roomId}`, RETRY_AFTER_S.roomPost);
  return [
    route({
      method: 'POST',
      path: '/api/rooms/:roomId/blobs',
      tag: TAG,
      summary: 'Reserve an encrypted attachment',
      description:
        'Body {size, chunks, ttl_ms?, delete_hash?}: the total ciphertext bytes and chunk count, and optionally the SHA-256 of a delete secret only the uploader keeps. Reserves `size` against the per-file cap, the room and address quotas and the global fuse, creates the room if needed, and answers the blob id and its upload token. The blob lives until min(ttl_ms, BLOB_TTL_MS) or until the room is evicted, whichever is first.',
      body: CreateBlobBody,
      badBody: BLOB_ERR.badBlob,
      responses: {
        200: { description: 'reserved', schema: CreateBlobResponse },
        400: err('bad roomId, or sizes that cannot be chunks'),
        413: err('file too large (BLOB_MAX_BYTES)'),
        429: err('rate limited, or a room, address or room-creation quota reached (Retry-After)'),
        503: err('the global attachment fuse is full, or the room cap is reached (Retry-After)'),
      },
      async handler({ params, body, ip, res }) {
        const roomId = params.roomId!;
        limit(ip, roomId);
        const { size, chunks } = body;
        // Each chunk is 16..FILE_CHUNK_CIPHER_MAX bytes of ciphertext.
        if (size < chunks * FILE_TAG_BYTES || size > chunks * FILE_CHUNK_CIPHER_MAX)
          throw new HttpError(400, BLOB_ERR.badBlob);
        if (size - chunks * FILE_TAG_BYTES > limits.maxBytes)
          throw new HttpError(413, BLOB_ERR.tooLarge, undefined, { max_bytes: limits.maxBytes });
        const now = deps.now();
        // Counted against the address's room quota like a post, or reservations could take the room cap.
        const made = await deps.backend.ensure(roomId, now, ip);
        if (made === 'room_cap') throw new HttpError(503, ERR.roomCap, RETRY_AFTER_S.roomCap);
        if (made === 'room_quota') throw new HttpError(429, ERR.roomQuota, RETRY_AFTER_S.roomQuota);
        const ttl = body.ttl_ms && body.ttl_ms > 0 ? Math.min(body.ttl_ms, limits.ttlMs) : limits.ttlMs;
        const r = await store.create({
          roomId,
          ip,
          size,
          chunks,
          expiresAt: now + ttl,
          now,
          deleteHash: body.delete_hash,
        });
        if (!r.ok) {
          const [status, text] = REFUSAL[r.reason];
          throw new HttpError(status, text, QUOTA_RETRY_S);
        }
        sendJson(res, 200, {
          blob_id: r.blobId,
          token: r.token,
          expires_at: r.expiresAt,
          max_chunk_bytes: FILE_CHUNK_CIPHER_MAX,
        });
      },
    }),
    route({
      method: 'GET',
      path: '/api/rooms/:roomId/blobs/:blobId',
      tag: TAG,
      summary: 'Upload progress of an attachment',
      responses: {
        200: { description: 'the blob', schema: BlobInfo },
        404: err('no such blob (never created, expired, freed, or its room was evicted)'),
        429: err('rate limited'),
      },
      async handler({ params, ip, res }) {
        const roomId = params.roomId!;
        limit(ip, roomId);
        const info = await store.info(roomId, blobId(params), deps.now());
        if (!info) throw new HttpError(404, BLOB_ERR.noSuchBlob);
        sendJson(res, 200, info);
      },
    }),
    route({
      method: 'PUT',
      path: '/api/rooms/:roomId/blobs/:blobId/chunks/:index',
      tag: TAG,
      summary: 'Upload one ciphertext chunk',
      description: `Raw body (application/octet-stream), at most ${FILE_CHUNK_CIPHER_MAX} bytes, with the blob's token in \`X-Blob-Token\`. Each chunk is written once.`,
      raw: true,
      responses: {
        200: { description: 'stored' },
        400: err('bad chunk index, or more bytes than the blob declared'),
        403: err('bad blob token'),
        404: err('no such blob'),
        409: err('chunk already uploaded'),
        413: err('chunk too large'),
        415: err('not application/octet-stream'),
        429: err('rate limited'),
      },
      async handler({ req, params, ip, res }) {
        const roomId = params.roomId!;
        try {
          limit(ip, roomId);
          const ct = req.headers['content-type'];
          if (ct !== undefined && !/^application\/octet-stream\b/i.test(ct))
            throw new HttpError(415, BLOB_ERR.wrongMediaType);
          const id = blobId(params);
          const index = chunkIndex(params);
          const token = tokenOf(req);
          const data = await readChunk(req, FILE_CHUNK_CIPHER_MAX);
          if (data.length < FILE_TAG_BYTES) throw new HttpError(400, BLOB_ERR.badChunk);
          const r = await store.put(roomId, id, token, index, data, deps.now());
          switch (r) {
            case 'ok':
              return sendJson(res, 200, { ok: true });
            case 'missing':
              throw new HttpError(404, BLOB_ERR.noSuchBlob);
            case 'bad_token':
              throw new HttpError(403, BLOB_ERR.badToken);
            case 'bad_index':
              throw new HttpError(400, BLOB_ERR.badChunk);
            case 'exists':
              throw new HttpError(409, BLOB_ERR.chunkExists);
            case 'over_declared':
              throw new HttpError(400, BLOB_ERR.overDeclared);
          }
        } catch (e) {
          // The body was not read: drain it so the answer is not stuck behind it.
          if (!req.readableEnded) req.resume();
          throw e;
        }
      },
    }),
    route({
      method: 'GET',
      path: '/api/rooms/:roomId/blobs/:blobId/chunks/:index',
      tag: TAG,
      summary: 'Download one ciphertext chunk',
      responses: {
        200: { description: 'the chunk as uploaded', contentType: 'application/octet-stream' },
        400: err('bad chunk index'),
        404: err('no such blob, or chunk not uploaded yet'),
        429: err('rate limited'),
      },
      async handler({ params, ip, res }) {
        const roomId = params.roomId!;
        limit(ip, roomId);
        const r = await store.get(roomId, blobId(params), chunkIndex(params), deps.now());
        if (r.ok)
          return sendText(res, 200, 'application/octet-stream', r.data, 'no-store', {
            'Content-Disposition': 'attachment',
          });
        if (r.reason === 'bad_index') throw new HttpError(400, BLOB_ERR.badChunk);
        throw new HttpError(404, r.reason === 'pending' ? BLOB_ERR.chunkMissing : BLOB_ERR.noSuchBlob);
      },
    }),
    route({
      method: 'DELETE',
      path: '/api/rooms/:roomId/blobs/:blobId',
      tag: TAG,
      summary: 'Free an attachment early',
      description:
        "With the blob's delete secret in `X-Blob-Token` when it was reserved with a `delete_hash` (only its uploader can free it), else with its token (which the file envelope carries, so any participant can).",
      responses: {
        200: { description: 'freed' },
        403: err('bad blob token or delete secret'),
        404: err('no such blob'),
        429: err('rate limited'),
      },
      async handler({ req, params, ip, res }) {
        const roomId = params.roomId!;
        limit(ip, roomId);
        const r = await store.remove(roomId, blobId(params), tokenOf(req), deps.now());
        if (r === 'missing') throw new HttpError(404, BLOB_ERR.noSuchBlob);
        if (r === 'bad_token') throw new HttpError(403, BLOB_ERR.badToken);
        sendJson(res, 200, { ok: true });
      },
    }),
  ];
}
