/**
 * End-to-end encrypted attachments and edits (docs/ATTACHMENTS.md). A file is sealed with a fresh
 * per-file key in fixed-size chunks and uploaded to the relay as opaque ciphertext; the key, name,
 * type, size and digest travel in a `bot2bot_file_v1` envelope inside an ordinary sealed room
 * message. Edits are `bot2bot_edit_v1` envelopes. Isomorphic: relay, web and agents import this.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import nacl from 'tweetnacl';
import { decodeBase64Loose, encodeBase64Url } from './base64.js';
import { sha256HexBytes, utf8Encode } from './hash.js';
import { randomBytes } from './ids.js';

export const FILE_MARKER = 'bot2bot_file_v1';
export const EDIT_MARKER = 'bot2bot_edit_v1';

/** Plaintext bytes per chunk; every chunk but the last is exactly this long. */
export const FILE_CHUNK_BYTES = 256 * 1024;
/** secretbox adds a 16-byte Poly1305 tag to each chunk. */
export const FILE_TAG_BYTES = 16;
export const FILE_CHUNK_CIPHER_MAX = FILE_CHUNK_BYTES + FILE_TAG_BYTES;
export const FILE_KEY_BYTES = 32;
/** Chunk nonce = 16 random bytes, then the chunk index and a final-chunk flag, each u32 big-endian. */
export const FILE_NONCE_PREFIX_BYTES = 16;
/** Default cap on one file (plaintext); the relay's BLOB_MAX_BYTES. */
export const FILE_MAX_BYTES_DEFAULT = 25 * 1024 * 1024;
/** The inline thumbnail rides in the sealed message, so it must keep it well under the 128 KiB cap. */
export const THUMB_MAX_B64_CHARS = 24 * 1024;
export const FILE_NAME_MAX_CHARS = 255;
export const FILE_TYPE_MAX_CHARS = 127;
/** Edit text follows the composer's plaintext cap. */
export const EDIT_TEXT_MAX_BYTES = 60 * 1024;

/** Blob ids and upload tokens the relay mints: 22 base64url characters (128 bits). */
export const BLOB_ID_RE = /^[A-Za-z0-9_-]{22}$/;
export const BLOB_TOKEN_RE = /^[A-Za-z0-9_-]{22,64}$/;

/**
 * The uploader's delete secret (never put in the room message) and the hash the relay is given
 * as `delete_hash`: then only that secret, sent as `X-Blob-Token`, frees the blob.
 */
export function newDeleteSecret(): { secret: string; hash: string } {
  const secret = encodeBase64Url(randomBytes(32));
  return { secret, hash: deleteHashOf(secret) };
}

/** SHA-256 of the secret's UTF-8 bytes, base64url unpadded (43 characters). */
export function deleteHashOf(secret: string): string {
  return encodeBase64Url(sha256(utf8Encode(secret)));
}

export interface FileThumb {
  /** image/jpeg or image/png, checked before rendering. */
  type: string;
  /** Standard base64 of the thumbnail bytes (inside the sealed message, so already encrypted). */
  data: string;
  w: number;
  h: number;
}

export interface FileEnvelope {
  bot2bot_file_v1: true;
  blob_id: string;
  /**
   * The upload token. Frees the blob only when its uploader gave no delete hash (older clients);
   * useless without the room key.
   */
  token: string;
  /** The per-file secretbox key and the chunk nonce prefix, base64url unpadded. */
  key: string;
  nonce_prefix: string;
  name: string;
  type: string;
  /** Plaintext bytes. */
  size: number;
  chunk_size: number;
  chunks: number;
  /** Lowercase hex SHA-256 of the plaintext: checked before anything is shown or saved. */
  sha256: string;
  /** Image dimensions, when known. */
  w?: number;
  h?: number;
  thumb?: FileThumb;
  /** Optional caption shown with the file. */
  text?: string;
}

export interface EditEnvelope {
  bot2bot_edit_v1: true;
  target_id: string;
  text: string;
}

const str = (v: unknown): v is string => typeof v === 'string';
const nat = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const b64uOf = (v: unknown, n: number): v is string =>
  str(v) && /^[A-Za-z0-9_-]+$/.test(v) && decodeBase64Loose(v)?.length === n;

export function chunkCount(size: number, chunkSize: number = FILE_CHUNK_BYTES): number {
  return Math.max(1, Math.ceil(size / chunkSize));
}

/** Ciphertext bytes the relay stores for a file of `size` plaintext bytes. */
export function cipherSize(size: number, chunkSize: number = FILE_CHUNK_BYTES): number {
  return size + chunkCount(size, chunkSize) * FILE_TAG_BYTES;
}

/** Parse a decrypted `bot2bot_file_v1` object; null when any field is missing or inconsistent. */
export function parseFileEnvelope(o: Record<string, unknown>): FileEnvelope | null {
  if (!str(o.blob_id) || !BLOB_ID_RE.test(o.blob_id) || !str(o.token) || !BLOB_TOKEN_RE.test(o.token))
    return null;
  if (!b64uOf(o.key, FILE_KEY_BYTES) || !b64uOf(o.nonce_prefix, FILE_NONCE_PREFIX_BYTES)) return null;
  if (
    !str(o.name) ||
    o.name.length > FILE_NAME_MAX_CHARS ||
    !str(o.type) ||
    o.type.length > FILE_TYPE_MAX_CHARS
  )
    return null;
  if (
    !nat(o.size) ||
    !nat(o.chunk_size) ||
    o.chunk_size < 1 ||
    o.chunk_size > FILE_CHUNK_BYTES ||
    !nat(o.chunks)
  )
    return null;
  if (o.chunks !== chunkCount(o.size, o.chunk_size)) return null;
  if (!str(o.sha256) || !/^[0-9a-f]{64}$/.test(o.sha256)) return null;
  const env: FileEnvelope = {
    bot2bot_file_v1: true,
    blob_id: o.blob_id,
    token: o.token,
    key: o.key,
    nonce_prefix: o.nonce_prefix,
    name: o.name,
    type: o.type,
    size: o.size,
    chunk_size: o.chunk_size,
    chunks: o.chunks,
    sha256: o.sha256,
  };
  if (nat(o.w) && nat(o.h)) {
    env.w = o.w;
    env.h = o.h;
  }
  const t = o.thumb as Record<string, unknown> | undefined;
  if (
    t &&
    typeof t === 'object' &&
    (t.type === 'image/jpeg' || t.type === 'image/png') &&
    str(t.data) &&
    t.data.length <= THUMB_MAX_B64_CHARS &&
    nat(t.w) &&
    nat(t.h)
  ) {
    env.thumb = { type: t.type, data: t.data, w: t.w, h: t.h };
  }
  if (str(o.text) && o.text.length > 0) env.text = o.text;
  return env;
}

export function parseEditEnvelope(o: Record<string, unknown>): EditEnvelope | null {
  if (!str(o.target_id) || o.target_id.length === 0 || o.target_id.length > 64 || !str(o.text)) return null;
  return { bot2bot_edit_v1: true, target_id: o.target_id, text: o.text };
}

/**
 * Reference clients hide only the markers they know, and render any other JSON as a chat bubble
 * (reference-client.md §2.2, §3.6). The one marker all of them hide is adopt: the browser consumes
 * an adopt envelope without `target_name` silently (§3.9), and its Python SDK and MCP server filter
 * adopt envelopes and nothing else (§3.8). So files and edits carry it too; this relay's clients
 * look for the file and edit markers first.
 */
export const REFERENCE_HIDE_MARKER = 'bot2bot_adopt_v1';

export const fileEnvelope = (f: Omit<FileEnvelope, 'bot2bot_file_v1'>): string =>
  JSON.stringify({ [FILE_MARKER]: true, [REFERENCE_HIDE_MARKER]: true, ...f });
export const editEnvelope = (target_id: string, text: string): string =>
  JSON.stringify({ [EDIT_MARKER]: true, [REFERENCE_HIDE_MARKER]: true, target_id, text });

/** One-line description of an attachment for text-only surfaces (CLI tail, MCP, exports). */
export function describeFile(f: FileEnvelope): string {
  return `[file] ${f.name} (${f.type || 'application/octet-stream'}, ${formatBytes(f.size)})${f.text ? ` ${f.text}` : ''}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

// ---------- chunk crypto ----------

export interface FileSecret {
  key: Uint8Array;
  prefix: Uint8Array;
}

export function newFileSecret(): FileSecret {
  return { key: randomBytes(FILE_KEY_BYTES), prefix: randomBytes(FILE_NONCE_PREFIX_BYTES) };
}

export function fileSecretOf(f: Pick<FileEnvelope, 'key' | 'nonce_prefix'>): FileSecret | null {
  const key = decodeBase64Loose(f.key);
  const prefix = decodeBase64Loose(f.nonce_prefix);
  if (!key || key.length !== FILE_KEY_BYTES || !prefix || prefix.length !== FILE_NONCE_PREFIX_BYTES)
    return null;
  return { key, prefix };
}

export const encodeFileSecret = (s: FileSecret): { key: string; nonce_prefix: string } => ({
  key: encodeBase64Url(s.key),
  nonce_prefix: encodeBase64Url(s.prefix),
});

/**
 * The nonce binds the chunk to its position and says whether it is the last: a relay that
 * reorders, repeats or drops chunks (including the tail) makes decryption fail.
 */
function chunkNonce(prefix: Uint8Array, index: number, final: boolean): Uint8Array {
  const n = new Uint8Array(24);
  n.set(prefix, 0);
  const v = new DataView(n.buffer);
  v.setUint32(16, index);
  v.setUint32(20, final ? 1 : 0);
  return n;
}

export function sealChunk(s: FileSecret, index: number, final: boolean, plain: Uint8Array): Uint8Array {
  return nacl.secretbox(plain, chunkNonce(s.prefix, index, final), s.key);
}

export function openChunk(
  s: FileSecret,
  index: number,
  final: boolean,
  cipher: Uint8Array,
): Uint8Array | null {
  return nacl.secretbox.open(cipher, chunkNonce(s.prefix, index, final), s.key);
}

/** Split and seal a whole file: the chunks to upload, and the digest for the envelope. */
export function sealFile(
  s: FileSecret,
  bytes: Uint8Array,
  chunkSize: number = FILE_CHUNK_BYTES,
): { chunks: Uint8Array[]; sha256: string } {
  const n = chunkCount(bytes.length, chunkSize);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < n; i++)
    chunks.push(
      sealChunk(
        s,
        i,
        i === n - 1,
        bytes.subarray(i * chunkSize, Math.min(bytes.length, (i + 1) * chunkSize)),
      ),
    );
  return { chunks, sha256: sha256HexBytes(bytes) };
}

export class FileIntegrityError extends Error {}

/**
 * Open chunk `index` of a file and check its length against the envelope; throws
 * FileIntegrityError on any mismatch so no caller can forget the check.
 */
export function openFileChunk(f: FileEnvelope, s: FileSecret, index: number, cipher: Uint8Array): Uint8Array {
  const final = index === f.chunks - 1;
  const plain = openChunk(s, index, final, cipher);
  if (!plain) throw new FileIntegrityError(`chunk ${index} does not decrypt`);
  const expected = final ? f.size - index * f.chunk_size : f.chunk_size;
  if (plain.length !== expected) throw new FileIntegrityError(`chunk ${index} has the wrong length`);
  return plain;
}

/** Join opened chunks and verify the digest; throws FileIntegrityError when it differs. */
export function assembleFile(f: FileEnvelope, parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(f.size);
  let off = 0;
  for (const p of parts) {
    if (off + p.length > f.size) throw new FileIntegrityError('file is longer than announced');
    out.set(p, off);
    off += p.length;
  }
  if (off !== f.size) throw new FileIntegrityError('file is shorter than announced');
  if (sha256HexBytes(out) !== f.sha256) throw new FileIntegrityError('SHA-256 does not match');
  return out;
}

// ---------- edit rule ----------

/** What a client remembers of a message to judge an edit of it. */
export interface EditTarget {
  sender: string;
  verified: boolean;
  seq: number;
  ts: number;
  ttl_ms?: number;
}

/**
 * An edit applies only when it comes after its target from the same sender: the same label in an
 * anonymous room, the same relay-verified @handle in a signed one (a verified target is never
 * edited by an unverified post carrying the same label). Unknown, deleted or expired targets
 * take no edits.
 */
export function editApplies(
  target: EditTarget | undefined,
  edit: { sender: string; verified: boolean; seq: number },
  state: { dead: boolean; now: number },
): boolean {
  if (!target || state.dead || !edit.sender) return false;
  if (target.ttl_ms && target.ts + target.ttl_ms <= state.now) return false;
  return edit.seq > target.seq && edit.sender === target.sender && edit.verified === target.verified;
}
