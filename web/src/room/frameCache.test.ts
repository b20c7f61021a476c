import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it } from 'vitest';
import { clearAll, getRoom, loadFrames, loadTombstones } from '../storage/db.js';
import { FrameCache } from './frameCache.js';
import { sealedFrame } from './testRoom.js';

const settle = () => new Promise((r) => setTimeout(r, 20));

beforeEach(async () => {
  await clearAll();
});

describe('frame cache', () => {
  it('keeps frames, tombstones and the cursor across opens', async () => {
    const c = new FrameCache('R1');
    const a = sealedFrame('a');
    const b = sealedFrame('b');
    c.put([a, b]);
    c.tombstone([b.id], 5);
    c.bumpCursor(b.seq);
    c.flushCursor();
    await settle();
    expect((await loadFrames('R1')).map((f) => f.id)).toEqual([a.id]);
    const opened = await new FrameCache('R1').open(0, 10);
    expect(opened.frames.map((f) => f.id)).toEqual([a.id]);
    expect(opened.tombstones).toEqual({ [b.id]: 5 });
    expect(opened.lastSeq).toBe(b.seq);
  });

  it('turns frames that expired while closed into tombstones at open', async () => {
    const c = new FrameCache('R2');
    const live = sealedFrame('live', { ts: 1000, ttl_ms: 10_000 });
    const gone = sealedFrame('gone', { ts: 1000, ttl_ms: 100 });
    c.put([live, gone]);
    await settle();
    const opened = await c.open(2000, 50);
    expect(opened.frames.map((f) => f.id)).toEqual([live.id]);
    expect(opened.tombstones).toEqual({ [gone.id]: 50 });
    await settle();
    expect(await loadTombstones('R2')).toEqual({ [gone.id]: 50 });
  });

  it('moves the cursor only forward and forgets the room', async () => {
    const c = new FrameCache('R3');
    c.bumpCursor(9);
    c.bumpCursor(4);
    expect(c.lastSeq).toBe(9);
    c.flushCursor();
    await settle();
    expect((await getRoom('R3'))?.lastSeq).toBe(9);
    await c.forget();
    expect(await getRoom('R3')).toBeUndefined();
  });
});
