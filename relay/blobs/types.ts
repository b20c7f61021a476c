/**
 * Attachment ciphertext held for a room: one interface, kept in memory on a single node and in
 * Redis (with the same accounting) on a cluster. Nothing here ever reaches a disk.
 */
import type { BlobInfo } from '../../protocol/index.js';

export interface BlobLimits {
  /** Largest file, in plaintext bytes (its ciphertext adds 16 bytes per chunk). */
  maxBytes: number;
  roomMaxBytes: number;
  ipMaxBytes: number;
  globalMaxBytes: number;
  /** Longest a blob lives; a blob created with a shorter ttl_ms lives that long. */
  ttlMs: number;
  perRoomMax: number;
}

export interface CreateRequest {
  roomId: string;
  ip: string;
  /** Declared ciphertext bytes of all chunks; reserved against the quotas up front. */
  size: number;
  chunks: number;
  expiresAt: number;
  now: number;
  /** SHA-256 (base64url) of a secret only the uploader keeps: then only that secret frees it. */
  deleteHash?: string | undefined;
}

/**
 * What a blob counts for at least: its bookkeeping (ids, maps, keys) takes a few hundred bytes
 * whatever its size, so tiny blobs cannot pile up under a byte quota.
 */
export const MIN_CHARGE = 1024;

/** What a blob counts for against the room and address quotas and the fuse. */
export function chargeOf(size: number): number {
  return Math.max(size, MIN_CHARGE);
}

export type CreateOutcome =
  | { ok: true; blobId: string; token: string; expiresAt: number }
  | { ok: false; reason: 'room_quota' | 'ip_quota' | 'room_count' | 'global_fuse' };

export type PutOutcome = 'ok' | 'missing' | 'bad_token' | 'bad_index' | 'exists' | 'over_declared';

export type GetOutcome =
  { ok: true; data: Buffer } | { ok: false; reason: 'missing' | 'bad_index' | 'pending' };

export interface BlobStore {
  create(req: CreateRequest): Promise<CreateOutcome>;
  put(
    roomId: string,
    blobId: string,
    token: string,
    index: number,
    data: Buffer,
    now: number,
  ): Promise<PutOutcome>;
  get(roomId: string, blobId: string, index: number, now: number): Promise<GetOutcome>;
  info(roomId: string, blobId: string, now: number): Promise<BlobInfo | null>;
  /**
   * Free a blob early (its message was deleted). `secret` is the delete secret when the blob was
   * created with a delete hash, else its token; 'bad_token' when it does not match.
   */
  remove(
    roomId: string,
    blobId: string,
    secret: string,
    now: number,
  ): Promise<'ok' | 'missing' | 'bad_token'>;
  /** The room was evicted: its blobs go with it. */
  dropRoom(roomId: string): Promise<void>;
  /** Free expired blobs. */
  sweep(now: number): Promise<void>;
  /** Bytes reserved across every room (the fuse's reading), for tests and health. */
  totalBytes(): Promise<number>;
  close(): Promise<void>;
}
