/**
 * The single-node blob store: ciphertext chunks in Buffers, grouped by room. A blob's declared
 * size is reserved against the per-room, per-address and global budgets when it is created, so
 * an upload can never grow past what was admitted. At a full room or at the fuse, the address
 * holding the most yields its oldest blobs (never to itself), as the cluster store does.
 */
import type { BlobInfo } from '../../protocol/index.js';
import { deleteAllowed, mintBlobSecret, sameToken } from './ids.js';
import {
  chargeOf,
  type BlobLimits,
  type BlobStore,
  type CreateOutcome,
  type CreateRequest,
  type GetOutcome,
  type PutOutcome,
} from './types.js';

const SWEEP_GAP_MS = 1000;
type Refusal = Exclude<CreateOutcome, { ok: true }>['reason'];

/** What one address holds in one room: charged bytes and blobs. */
interface Share {
  bytes: number;
  count: number;
}

interface Blob {
  id: string;
  roomId: string;
  ip: string;
  token: string;
  deleteHash: string | undefined;
  size: number;
  /** What it counts for against every quota: its size, at least MIN_CHARGE. */
  charge: number;
  chunks: Array<Buffer | undefined>;
  received: number;
  written: number;
  expiresAt: number;
}

export class MemoryBlobs implements BlobStore {
  private readonly rooms = new Map<string, Map<string, Blob>>();
  private readonly roomBytes = new Map<string, number>();
  /** Each room's holders: at a full room the largest one yields. */
  private readonly shares = new Map<string, Map<string, Share>>();
  private readonly ipBytes = new Map<string, number>();
  /** Each address's blobs, oldest first: at the fuse the largest holder's oldest go. */
  private readonly byIp = new Map<string, Set<Blob>>();
  private total = 0;
  private sweptAt = -Infinity;

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
    if ((refusal === 'room_count' || refusal === 'room_quota') && this.yieldRoom(req))
      refusal = this.refusal(req);
    if (refusal === 'global_fuse' && this.yieldFor(req)) refusal = null;
    if (refusal) return { ok: false, reason: refusal };
    const room = this.rooms.get(req.roomId);
    const blob: Blob = {
      id: mintBlobSecret(),
      roomId: req.roomId,
      ip: req.ip,
      token: mintBlobSecret(),
      deleteHash: req.deleteHash,
      size: req.size,
      charge: chargeOf(req.size),
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
    if (!deleteAllowed(token, blob.token, blob.deleteHash)) return 'bad_token';
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
    this.shares.clear();
    this.ipBytes.clear();
    this.byIp.clear();
    this.total = 0;
  }

  /** The address's own quota first: a request over it never makes anyone else yield. */
  private refusal(req: CreateRequest): Refusal | null {
    const charge = chargeOf(req.size);
    if ((this.ipBytes.get(req.ip) ?? 0) + charge > this.limits.ipMaxBytes) return 'ip_quota';
    if ((this.rooms.get(req.roomId)?.size ?? 0) >= this.limits.perRoomMax) return 'room_count';
    if ((this.roomBytes.get(req.roomId) ?? 0) + charge > this.limits.roomMaxBytes) return 'room_quota';
    if (this.total + charge > this.limits.globalMaxBytes) return 'global_fuse';
    return null;
  }

  /**
   * A full room: the address holding the most of it (bytes, or blobs when the count is full)
   * yields its oldest blobs there, as long as it holds more than the requester would.
   */
  private yieldRoom(req: CreateRequest): boolean {
    const charge = chargeOf(req.size);
    const own = this.shares.get(req.roomId)?.get(req.ip);
    const mine: Share = { bytes: (own?.bytes ?? 0) + charge, count: (own?.count ?? 0) + 1 };
    for (;;) {
      const room = this.rooms.get(req.roomId);
      const shares = this.shares.get(req.roomId);
      if (!room || !shares) return true;
      const by: keyof Share | null =
        room.size >= this.limits.perRoomMax
          ? 'count'
          : (this.roomBytes.get(req.roomId) ?? 0) + charge > this.limits.roomMaxBytes
            ? 'bytes'
            : null;
      if (!by) return true;
      let top: string | undefined;
      let most = 0;
      for (const [ip, share] of shares) if (share[by] > most) [top, most] = [ip, share[by]];
      if (top === undefined || top === req.ip || most <= mine[by]) return false;
      // The room's map keeps creation order, so the first of theirs is their oldest.
      let oldest: Blob | undefined;
      for (const b of room.values())
        if (b.ip === top) {
          oldest = b;
          break;
        }
      if (!oldest) return false;
      this.free(oldest);
    }
  }

  /**
   * At the fuse, the address holding the most yields its oldest blobs, so that a few addresses
   * reserving their shares cannot lock everyone else out. Never for the largest holder itself.
   */
  private yieldFor(req: CreateRequest): boolean {
    const charge = chargeOf(req.size);
    const mine = (this.ipBytes.get(req.ip) ?? 0) + charge;
    while (this.total + charge > this.limits.globalMaxBytes) {
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
    const d = sign * blob.charge;
    this.total += d;
    bump(this.roomBytes, blob.roomId, d);
    bump(this.ipBytes, blob.ip, d);
    let room = this.shares.get(blob.roomId);
    if (!room) this.shares.set(blob.roomId, (room = new Map()));
    const share = room.get(blob.ip) ?? { bytes: 0, count: 0 };
    share.bytes += d;
    share.count += sign;
    if (share.count > 0) room.set(blob.ip, share);
    else room.delete(blob.ip);
    if (room.size === 0) this.shares.delete(blob.roomId);
  }
}

function bump(m: Map<string, number>, k: string, d: number): void {
  const v = (m.get(k) ?? 0) + d;
  if (v <= 0) m.delete(k);
  else m.set(k, v);
}
