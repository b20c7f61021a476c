/**
 * What a joining agent treats as new work (stream from now, history as context, gap warnings),
 * the loop guard, and optimistic posting, against a real relay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRoomLink, sealText } from '../../protocol/index.js';
import { WsClient, postJson, fakeSealed } from '../../test-support/clients.js';
import { TestClock, startRelay, type TestRelay } from '../../test-support/relay.js';
import {
  ReplyBudget,
  ReplyBudgetError,
  Room,
  RoomMovedOnError,
  type GapEvent,
  type Message,
} from '../sdk/index.js';
import { roomOn, take, until, webHuman } from './helpers.js';

let r: TestRelay;
const quiet = { onWarning: () => undefined };

beforeAll(async () => {
  r = await startRelay();
});
afterAll(() => r.close());

describe('joining a room', () => {
  it('stream() yields only what arrives after it started; backlog: true and history() give the past', async () => {
    const url = roomOn(r.url);
    const human = new Room(url, { name: 'alice', ...quiet });
    const bot = new Room(url, { name: 'bot', ...quiet });
    for (const t of ['old 1', 'old 2', '@bot please summarise the above']) await human.send(t);
    const live = bot.stream();
    const first = live.next();
    // The stream connects (after a status call) before anything new is posted.
    await until(async () => (await bot.status()).participants === 1, 10_000, 'the stream to connect');
    await human.send('new one');
    expect((await first).value?.text).toBe('new one');
    await live.return(undefined);

    const recent = await bot.history({ last: 2 });
    expect(recent.map((m) => m.text)).toEqual(['@bot please summarise the above', 'new one']);
    const replay = bot.stream({ backlog: true });
    expect((await take(replay, 4)).map((m) => m.text)).toEqual([
      'old 1',
      'old 2',
      '@bot please summarise the above',
      'new one',
    ]);
    await replay.return(undefined);
  });

  it('reports a gap when resuming after messages the relay no longer has', async () => {
    const clock = new TestClock();
    const small = await startRelay({}, clock);
    try {
      const url = roomOn(small.url);
      const a = new Room(url, { name: 'a', ...quiet });
      // The first three expire; the relay then no longer has what came after firstSeq.
      const firstSeq = (await a.send('m0', { ttlMs: 30_000 })).seq;
      for (let i = 1; i < 6; i++) await a.send(`m${i}`, i < 3 ? { ttlMs: 30_000 } : {});
      clock.advance(31_000);
      const gaps: GapEvent[] = [];
      const b = new Room(url, { name: 'b', ...quiet });
      const s = b.stream({ after: firstSeq, onGap: (g) => gaps.push(g) });
      // The relay says so in `ready`, which follows the replay: it is reported before the next live message.
      const got = await take(s, 3);
      await a.send('m6');
      got.push(...(await take(s, 1)));
      expect(got.map((m) => m.text)).toEqual(['m3', 'm4', 'm5', 'm6']);
      expect(gaps).toEqual([{ after: firstSeq, oldestSeq: firstSeq + 3, lastSeq: firstSeq + 5 }]);
      await s.return(undefined);
      // Without onGap the warning goes to onWarning.
      const warnings: string[] = [];
      const c = new Room(url, { name: 'c', onWarning: (t) => warnings.push(t) });
      const s2 = c.stream({ after: firstSeq });
      await take(s2, 4);
      await a.send('m7');
      await take(s2, 1);
      expect(warnings.some((w) => /are gone from the relay/.test(w))).toBe(true);
      await s2.return(undefined);
    } finally {
      await small.close();
    }
  });
});

describe('optimistic posting', () => {
  it('expectedLastSeq stores the post only when nobody spoke in between', async () => {
    const url = roomOn(r.url);
    const a = new Room(url, { name: 'a', ...quiet });
    const b = new Room(url, { name: 'b', ...quiet });
    const seen = await a.send('question?', { expectedLastSeq: 0 });
    await b.send('someone else answered first');
    const err = await a.send('my late answer', { expectedLastSeq: seen.seq }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RoomMovedOnError);
    expect((err as RoomMovedOnError).lastSeq).toBe(seen.seq + 1);
    expect((await a.history()).map((m) => m.text)).toEqual(['question?', 'someone else answered first']);
    await expect(a.send('x', { expectedLastSeq: -1 })).rejects.toThrow(/expectedLastSeq/);
  });
});

describe('loop guard', () => {
  /** An agent that answers every message it sees, until stopped; refusals are recorded. */
  function echo(room: Room, stop: AbortSignal, refusals: string[]): Promise<void> {
    return (async () => {
      for await (const m of room.stream({ signal: stop })) {
        try {
          await room.send(`echo: ${m.text.slice(0, 40)}`);
        } catch (e) {
          if (e instanceof ReplyBudgetError) refusals.push(e.message);
          else throw e;
        }
      }
    })();
  }

  it('two agents with their own names echoing each other stop at the budget; only a web client lifts it', async () => {
    const url = roomOn(r.url);
    // The launcher's default names: nothing in the label says "agent".
    const a = new Room(url, { name: 'codex-exec-local', ...quiet });
    const b = new Room(url, { name: 'claude-code-local', ...quiet });
    const stop = new AbortController();
    const refusedA: string[] = [];
    const refusedB: string[] = [];
    const loops = [echo(a, stop.signal, refusedA), echo(b, stop.signal, refusedB)];
    await until(async () => (await a.status()).participants === 2, 10_000, 'both streams');
    await a.send('ping');
    await until(() => refusedB.length > 0, 20_000, 'the budget to stop the exchange');
    const count = (msgs: Message[]) => ({
      a: msgs.filter((m) => m.sender === a.name).length,
      b: msgs.filter((m) => m.sender === b.name).length,
    });
    const transcript = await a.history({ limit: 500 });
    // The seed plus eight replies each; then b stays silent and a has nothing to answer.
    expect(transcript).toHaveLength(17);
    expect(count(transcript)).toEqual({ a: 9, b: 8 });
    expect(refusedB[0]).toMatch(
      /loop guard: this agent has replied 8 times in a row with no human in between/,
    );
    expect(refusedA).toEqual([]);

    // Another SDK client is not a human, whatever its name.
    await new Room(url, { name: 'alice', ...quiet }).send('not a human: carry on');
    await until(() => refusedA.length === 1 && refusedB.length === 2, 10_000, 'both to stay silent');

    const human = await webHuman(url, 'alice');
    human.say('a human says: carry on');
    await until(
      async () => (await a.history({ limit: 500 })).some((m, i) => i > 19 && m.sender === b.name),
      10_000,
      'b to speak again',
    );
    stop.abort();
    await human.close();
    await Promise.allSettled(loops);
  });

  it("default-labelled agents stop too, and a web client under an agent's name does not count", async () => {
    const url = roomOn(r.url);
    const a = new Room(url, quiet);
    const b = new Room(url, quiet);
    const stop = new AbortController();
    const refusedA: string[] = [];
    const refusedB: string[] = [];
    const loops = [echo(a, stop.signal, refusedA), echo(b, stop.signal, refusedB)];
    await until(async () => (await a.status()).participants === 2, 10_000, 'both streams');
    await a.send('ping');
    await until(() => refusedB.length > 0, 20_000, 'the budget to stop the exchange');
    // A "web" hello under a name an agent streams as is not a human: the relay drops the claim.
    const link = parseRoomLink(url);
    if (!link.ok) throw new Error(link.message);
    const fake = new WsClient(`${r.url.replace('http', 'ws')}/api/rooms/${link.link.roomId}/ws`);
    await fake.opened;
    fake.send({ type: 'hello', name: a.name, client: 'web' });
    fake.send({ ...sealText('pretending to be human', link.link.key), sender: a.name });
    await until(() => refusedB.length >= 2, 10_000, 'b to stay silent');
    stop.abort();
    await fake.close();
    await Promise.allSettled(loops);
  });

  it('counts turns, not posts, and honours the humans and agents lists', () => {
    const msg = (seq: number, sender: string) => ({ seq, sender, isSelf: false, kind: 'chat' });
    const g = new ReplyBudget({ limit: 2, agents: ['helper-bot'] });
    g.present([{ name: 'carol', client: 'web' }, { name: 'helper-bot', client: 'web' }, { name: 'dave' }]);
    g.observe(msg(1, 'helper-bot'));
    g.sent();
    g.sent(); // a second post with nobody in between is the same turn
    g.observe(msg(2, 'helper-bot'));
    g.sent();
    g.observe(msg(3, 'helper-bot'));
    expect(g.refusal()).toMatch(/replied 2 times/);
    g.observe(msg(3, 'carol')); // the same seq again (stream and claim both saw it) counts once
    expect(g.refusal()).not.toBeNull();
    g.observe(msg(4, 'carol'));
    expect(g.refusal()).toBeNull();

    // Not present as a web client, but listed in humans.
    const strict = new ReplyBudget({ limit: 1, humans: ['@carol'] });
    strict.observe(msg(1, 'dave'));
    strict.sent();
    strict.observe(msg(2, 'dave'));
    expect(strict.refusal()).not.toBeNull();
    strict.observe(msg(3, 'carol'));
    expect(strict.refusal()).toBeNull();
    expect(new ReplyBudget({ limit: 0 }).refusal()).toBeNull();

    // A name present both as a web client and as something else counts as an agent.
    const mixed = new ReplyBudget({ limit: 1 });
    mixed.present([{ name: 'erin', client: 'web' }, { name: 'erin' }]);
    expect(mixed.isHuman('erin')).toBe(false);
    mixed.present([{ name: 'erin', client: 'web' }]);
    expect(mixed.isHuman('@Erin')).toBe(true);
    expect(new ReplyBudget({ agents: ['erin'] }).isHuman('erin')).toBe(false);
  });
});

describe('reference clients', () => {
  it('see the same answers as before: a plain post is untouched by the new field', async () => {
    const url = roomOn(r.url);
    const id = new URL(url).pathname.split('/')[2]!;
    const p = await postJson(`${r.url}/api/rooms/${id}/messages`, fakeSealed());
    expect(Object.keys(p.json).sort()).toEqual(['id', 'ok', 'seq']);
  });
});
