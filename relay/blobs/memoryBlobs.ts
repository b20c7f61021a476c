/**
 * The single-node blob store: ciphertext chunks in Buffers, grouped by room. A blob's declared
 * size is reserved against the per-room, per-address and global budgets when it is created, so
 * an upload can never grow past what was admitted.
 */
import type { BlobInfo } from '../../protocol/index.js';
import { mintBlobSecret, sameToken } from './ids.js';
import type { BlobLimits, BlobStore, CreateOutcome, CreateRequest, GetOutcome, PutOutcome } from './types.js';

interface Blob {
  id: string;
  roomId: string;
  ip: string;
  token: string;
  size: number;
  chunks: Array<Buffer | undefined>;
  received: number;
  written: number;
  expiresAt: number;
}

export class MemoryBlobs implements BlobStore {
  private readonly rooms = new Map<string, Map<string, Blob>>();
  private readonly roomBytes = new Map<string, number>();
  private readonly ipBytes = new Map<string, number>();
  private total = 0;

  constructor(private readonly limits: BlobLimits) {}

  async create(req: CreateRequest): Promise<CreateOutcome> {
    await this.sweep(req.now);
    const room = this.rooms.get(req.roomId);
    if ((room?.size ?? 0) >= this.limits.perRoomMax) return { ok: false, reason: 'room_count' };
    if ((this.roomBytes.get(req.roomId) ?? 0) + req.size > this.limits.roomMaxBytes)
      return { ok: false, reason: 'room_quota' };
    if ((this.ipBytes.get(req.ip) ?? 0) + req.size > this.limits.ipMaxBytes)
      return { ok: false, reason: 'ip_quota' };
    if (this.total + req.size > this.limits.globalMaxBytes) return { ok: false, reason: 'global_fuse' };
    const blob: Blob = {
      id: mintBlobSecret(),
      roomId: req.roomId,
      ip: req.ip,
      token: mintBlobSecret(),
      size: req.size,
      chunks: new Array<Buffer | undefined>(req.chunks),
      received: 0,
      written: 0,
      expiresAt: req.expiresAt,
    };
    if (room) room.set(blob.id, blob);
    else this.rooms.set(req.roomId, new Map([[blob.id, blob]]));
    this.charge(blob, 1);
    return { ok: true, blobId: blob.id, token: blob.token, expiresAt: blob.expiresAt };
  }

  async put(
    roomId: string,
    blobId: string,
    token: string,
    index: number,
    data: Buffer,
    now: number,
  ): Promise<PutOutcome> {
    const blob = this.live(roomId, blobId, now);
    if (!blob) return 'missing';
    if (!sameToken(token, blob.token)) return 'bad_token';
    if (index >= blob.chunks.length) return 'bad_index';
    if (blob.chunks[index]) return 'exists';
    if (blob.written + data.length > blob.size) return 'over_declared';
    // A copy: the request's buffer may be a slice of a larger pooled one.
    blob.chunks[index] = Buffer.from(data);
    blob.written += data.length;
    blob.received++;
    return 'ok';
  }

  async get(roomId: string, blobId: string, index: number, now: number): Promise<GetOutcome> {
    const blob = this.live(roomId, blobId, now);
    if (!blob) return { ok: false, reason: 'missing' };
    if (index >= blob.chunks.length) return { ok: false, reason: 'bad_index' };
    const data = blob.chunks[index];
    return data ? { ok: true, data } : { ok: false, reason: 'pending' };
  }

  async info(roomId: string, blobId: string, now: number): Promise<BlobInfo | null> {
    const b = this.live(roomId, blobId, now);
    if (!b) return null;
    return {
      blob_id: b.id,
      size: b.size,
      chunks: b.chunks.length,
      received: b.received,
      complete: b.received === b.chunks.length,
      expires_at: b.expiresAt,
    };
  }

  async remove(
    roomId: string,
    blobId: string,
    token: string,
    now: number,
  ): Promise<'ok' | 'missing' | 'bad_token'> {
    const blob = this.live(roomId, blobId, now);
    if (!blob) return 'missing';
    if (!sameToken(token, blob.token)) return 'bad_token';
    this.free(blob);
    return 'ok';
  }

  async dropRoom(roomId: string): Promise<void> {
    const room = this.rooms.get(roomId);
    if (!room) return;
    for (const blob of [...room.values()]) this.free(blob);
  }

  async sweep(now: number): Promise<void> {
    for (const room of this.rooms.values()) {
      for (const blob of room.values()) if (blob.expiresAt <= now) this.free(blob);
    }
  }

  async totalBytes(): Promise<number> {
    return this.total;
  }

  async close(): Promise<void> {
    this.rooms.clear();
    this.roomBytes.clear();
    this.ipBytes.clear();
    this.total = 0;
  }

  private live(roomId: string, blobId: string, now: number): Blob | null {
    const blob = this.rooms.get(roomId)?.get(blobId);
    if (!blob) return null;
    if (blob.expiresAt <= now) {
      this.free(blob);
      return null;
    }
    return blob;
  }

  private free(blob: Blob): void {
    const room = this.rooms.get(blob.roomId);
    if (!room?.delete(blob.id)) return;
    if (room.size === 0) this.rooms.delete(blob.roomId);
    this.charge(blob, -1);
    blob.chunks.length = 0;
  }

  private charge(blob: Blob, sign: 1 | -1): void {
    const d = sign * blob.size;
    this.total += d;
    bump(this.roomBytes, blob.roomId, d);
    bump(this.ipBytes, blob.ip, d);
  }
}

function bump(m: Map<string, number>, k: string, d: number): void {
  const v = (m.get(k) ?? 0) + d;
  if (v <= 0) m.delete(k);
  else m.set(k, v);
}
