/** Test helpers for the room modules: a store, sealed frames, and a recording cache. */
import { sealText } from '@protocol/crypto.js';
import { createRoomStore } from '../store/roomStore.js';
import type { RoomFrame } from './frameCache.js';

export const KEY = new Uint8Array(32).fill(7);

export const newStore = (me = 'alice') => createRoomStore({ roomId: 'ROOM000001', me });

let seq = 0;
export function sealedFrame(text: string, over: Partial<RoomFrame> = {}): RoomFrame {
  seq++;
  return {
    id: `m${seq}`,
    seq,
    sender: 'bob',
    sender_verified: false,
    ts: 1_000_000 + seq,
    ...sealText(text, KEY),
    ...over,
  };
}

/** A FrameCache stand-in that records what would be written. */
export function recordingCache() {
  const rec = { put: [] as RoomFrame[], tombstoned: [] as string[], dropped: [] as string[], cursor: 0 };
  return {
    rec,
    put: (f: RoomFrame[]) => void rec.put.push(...f),
    tombstone: (ids: string[]) => void rec.tombstoned.push(...ids),
    drop: (ids: string[]) => void rec.dropped.push(...ids),
    bumpCursor: (s: number) => void (rec.cursor = Math.max(rec.cursor, s)),
    get lastSeq() {
      return rec.cursor;
    },
    sweepExpired: async () => [] as string[],
  };
}
