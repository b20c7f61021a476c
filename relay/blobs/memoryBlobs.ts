/**
 * The single-node blob store: ciphertext chunks in Buffers, grouped by room. A blob's declared
 * size is reserved against the per-room, per-address and global budgets when it is created, so
 * an upload can never grow past what was admitted.
 */
import type { BlobInfo } from '../../protocol/index.js';
import { mintBlobSecret, sameToken } from './ids.js';
import type { BlobLimits, BlobStore, CreateOutcome, CreateRequest, GetOutcome, PutOutcome } from './types.js';

const SWEEP_GAP_MS = 1000;
/**
 * What a blob counts for at least: its bookkeeping (ids, maps, chunk array) takes about 300 bytes
 * whatever its size, so tiny blobs are counted, not only their bytes, against the address's share
 * and the fuse.
 */
const MIN_CHARGE = 1024;

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
  /** Each address's blobs, oldest first: at the fuse the largest holder's oldest go. */
  private readonly byIp = new Map<string, Set<Blob>>();
  private total = 0;
  private sweptAt = -Infinity;
  private count = 0;

  constructor(private readonly limits: BlobLimits) {}

  async create(req: CreateRequest): Promise<CreateOutcome> {
    // The sweep walks every blob: only when a refusal is near and at most once a second, so a
    // create never costs the whole store (the janitor sweeps on its own timer).
    let refusal = this.refusal(req);
    if (refusal && req.now - this.sweptAt >= SWEEP_GAP_MS) {
      this.sweptAt = req.now;
      await this.sweep(req.now);
      refusal = this.refusal(req);
    }
    if (refusal === 'global_fuse' && this.yieldFor(req)) refusal = null;
    if (refusal) return { ok: false, reason: refusal };
    const room = this.rooms.get(req.roomId);
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
    const held = this.byIp.get(req.ip);
    if (held) held.add(blob);
    else this.byIp.set(req.ip, new Set([blob]));
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
    this.byIp.clear();
    this.total = 0;
    this.count = 0;
  }

  private refusal(req: CreateRequest): Exclude<CreateOutcome, { ok: true }>['reason'] | null {
    if ((this.rooms.get(req.roomId)?.size ?? 0) >= this.limits.perRoomMax) return 'room_count';
    if ((this.roomBytes.get(req.roomId) ?? 0) + req.size > this.limits.roomMaxBytes) return 'room_quota';
    if ((this.ipBytes.get(req.ip) ?? 0) + req.size > this.limits.ipMaxBytes) return 'ip_quota';
    if ((this.byIp.get(req.ip)?.size ?? 0) >= this.limits.ipMaxBytes / MIN_CHARGE) return 'ip_quota';
    if (this.overFuse(req.size)) return 'global_fuse';
    return null;
  }

  private overFuse(size: number): boolean {
    return (
      this.total + size > this.limits.globalMaxBytes || this.count >= this.limits.globalMaxBytes / MIN_CHARGE
    );
  }

  /**
   * At the fuse, the address holding the most yields its oldest blobs, so that a few addresses
   * reserving their shares cannot lock everyone else out. Never for the largest holder itself.
   */
  private yieldFor(req: CreateRequest): boolean {
    const mine = (this.ipBytes.get(req.ip) ?? 0) + req.size;
    while (this.overFuse(req.size)) {
      let top: string | undefined;
      let most = 0;
      for (const [ip, n] of this.ipBytes) if (n > most) [top, most] = [ip, n];
      if (top === undefined || top === req.ip || most <= mine) return false;
      const oldest = this.byIp.get(top)?.values().next().value;
      if (!oldest) return false;
      this.free(oldest);
    }
    return true;
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
    const held = this.byIp.get(blob.ip);
    held?.delete(blob);
    if (held?.size === 0) this.byIp.delete(blob.ip);
    this.charge(blob, -1);
    blob.chunks.length = 0;
  }

  private charge(blob: Blob, sign: 1 | -1): void {
    const d = sign * blob.size;
    this.total += d;
    this.count += sign;
    bump(this.roomBytes, blob.roomId, d);
    bump(this.ipBytes, blob.ip, d);
  }
}

function bump(m: Map<string, number>, k: string, d: number): void {
  const v = (m.get(k) ?? 0) + d;
  if (v <= 0) m.delete(k);
  else m.set(k, v);
}
