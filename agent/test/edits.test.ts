/**
 * Edits and deletes in the TypeScript SDK under a hostile participant: edits naming messages
 * nobody knows cost a bounded number of transcript reads, and history leaves deleted messages out.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { editEnvelope, sealText } from '../../protocol/index.js';
import { startRelay, type TestRelay } from '../../test-support/relay.js';
import { Room } from '../sdk/index.js';
import { roomOn, until } from './helpers.js';

let r: TestRelay;
const quiet = { onWarning: () => undefined, replyBudget: false as const };

beforeAll(async () => {
  r = await startRelay();
});
afterAll(async () => {
  await r.close();
});

/** A fetch that counts the transcript reads it makes. */
function countingFetch(): { fetch: typeof fetch; transcriptReads: () => number } {
  let n = 0;
  return {
    fetch: (input, init) => {
      if (String(input instanceof Request ? input.url : input).includes('/transcript')) n++;
      return fetch(input, init);
    },
    transcriptReads: () => n,
  };
}

const unknownId = () => randomBytes(12).toString('base64url');

describe('a flood of edits naming unknown messages', () => {
  it('costs a streaming agent at most one transcript read, and a real edit still applies', async () => {
    const url = roomOn(r.url);
    const alice = new Room(url, { name: 'alice', ...quiet });
    const draft = await alice.send('draft');
    for (let i = 0; i < 20; i++) await alice.send(`context ${i}`);
    const counter = countingFetch();
    const bob = new Room(url, { name: 'bob', ...quiet, fetch: counter.fetch });
    const live = bob.stream();
    const first = live.next();
    await until(async () => ((await alice.status()).participants ?? 0) >= 1, 10_000, 'bob connected');

    const mallory = new Room(url, { name: 'mallory', ...quiet });
    // Three bursts a minute apart (the clock jumps; timers stay real).
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    try {
      for (let burst = 0; burst < 3; burst++) {
        for (let i = 0; i < 50; i++) await mallory.send(editEnvelope(unknownId(), `junk ${i}`));
        vi.setSystemTime(Date.now() + 61_000);
      }
    } finally {
      vi.useRealTimers();
    }
    await mallory.edit(draft.id, 'forged');
    await alice.edit(draft.id, 'final');

    const m = (await first).value!;
    expect([m.kind, m.text, m.editOf, m.sender]).toEqual(['edit', 'final', draft.id, 'alice']);
    // The first unknown target reads the 21 older messages once; later ones are judged unread.
    expect(counter.transcriptReads()).toBeLessThanOrEqual(1);
    await live.return(undefined);
  });

  it('costs at most the per-minute allowance when edits arrive out of any sequence', async () => {
    const url = roomOn(r.url);
    const alice = new Room(url, { name: 'alice', ...quiet });
    for (let i = 0; i < 5; i++) await alice.send(`context ${i}`);
    const counter = countingFetch();
    const bob = new Room(url, { name: 'bob', ...quiet, fetch: counter.fetch });
    // Claimed or hand-fed messages come one by one with gaps: each could ask for a read.
    for (let i = 0; i < 200; i++) {
      const got = await bob.receive({
        seq: 100 + i * 10,
        id: unknownId(),
        sender: 'mallory',
        sender_verified: false,
        ts: Date.now(),
        ...sealText(editEnvelope(unknownId(), 'junk'), bob.key),
      });
      expect(got).toBeNull();
    }
    expect(counter.transcriptReads()).toBeLessThanOrEqual(8);
    expect(counter.transcriptReads()).toBeGreaterThan(0);
  });
});

describe('history and deletes for everyone', () => {
  it('leaves deleted messages out and shows the newest edit, also when they come after the page', async () => {
    const url = roomOn(r.url);
    const alice = new Room(url, { name: 'alice', ...quiet });
    const a = await alice.send('one');
    const b = await alice.send('two');
    const c = await alice.send('three');
    await alice.deleteMessage(b.id);
    await alice.edit(a.id, 'one, edited');

    const bob = new Room(url, { name: 'bob', ...quiet });
    const all = await bob.history();
    expect(all.map((m) => [m.id, m.text, m.edited ?? false])).toEqual([
      [a.id, 'one, edited', true],
      [c.id, 'three', false],
    ]);
    const withControl = await new Room(url, { name: 'carol', ...quiet }).history({ includeControl: true });
    expect(withControl.map((m) => m.kind)).toEqual(['chat', 'chat', 'delete', 'edit']);

    // Pages that end before the delete and the edit still reflect them.
    const dave = new Room(url, { name: 'dave', ...quiet });
    const p1 = await dave.history({ limit: 1 });
    expect(p1.map((m) => [m.text, m.edited ?? false])).toEqual([['one, edited', true]]);
    expect(await new Room(url, { name: 'erin', ...quiet }).history({ after: a.seq, limit: 1 })).toEqual([]);
  });
});
