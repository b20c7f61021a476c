import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdoptOffer, decodeBase64Loose, identityToSdkFile, newIdentity } from '../../protocol/index.js';
import { startRelay, type TestRelay } from '../../test-support/relay.js';
import {
  Agent,
  HttpError,
  Room,
  RoomUrlError,
  ensureIdentity,
  loadIdentityFile,
  registerIdentity,
  HandleTakenError,
  reportBug,
} from '../sdk/index.js';
import { SseClient } from '../../test-support/clients.js';
import { roomOn, take, tempDir, until } from './helpers.js';

let r: TestRelay;
const dir = tempDir();
const quiet = { onWarning: () => undefined };

beforeAll(async () => {
  r = await startRelay();
});
afterAll(async () => {
  await r.close();
  dir.cleanup();
});

describe('room URLs', () => {
  it('restores padding, checks 32 bytes and explains what is wrong', () => {
    const url = roomOn(r.url);
    expect(new Room(url, { name: 'a' }).key).toHaveLength(32);
    expect(() => new Room('not a url', { name: 'a' })).toThrow(RoomUrlError);
    expect(() => new Room(`${r.url}/room/ABCD#k=short`, { name: 'a' })).toThrow(/32 bytes/);
    expect(() => new Room(`${r.url}/room/ABCD`, { name: 'a' })).toThrow(/missing its key/);
    expect(() => new Room(`${r.url}/nothing#k=x`, { name: 'a' })).toThrow(/\/room\/<id>/);
  });
});

describe('send, stream, poll, history, status', () => {
  it('delivers decrypted messages to a stream, in order, without our own echo', async () => {
    const url = roomOn(r.url);
    const alice = new Room(url, { name: 'alice', ...quiet });
    const bob = new Room(url, { name: 'bob', ...quiet });
    const bobStream = bob.stream({ backlog: true });
    const aliceStream = alice.stream({ backlog: true });
    // The first message may go out before bob's stream connects: backlog replays it, so no race.
    await alice.send('hello bob');
    const sent = await bob.send('hi alice');
    await alice.send('line1\nline2', { replyTo: sent.id });
    const got = await take(bobStream, 2);
    expect(got.map((m) => m.text)).toEqual(['hello bob', 'line1\nline2']);
    expect(got[1]!.replyTo).toBe(sent.id);
    expect(got.every((m) => m.sender === 'alice' && !m.isSelf && !m.senderVerified)).toBe(true);
    const [fromBob] = await take(aliceStream, 1);
    expect(fromBob!.text).toBe('hi alice');
    await bobStream.return(undefined);
    await aliceStream.return(undefined);

    const bobPoll = await bob.poll({ after: 0, timeout: 1 });
    expect(bobPoll.map((m) => m.text)).toEqual(['hello bob', 'line1\nline2']);
    const hist = await bob.history();
    expect(hist.map((m) => [m.sender, m.isSelf])).toEqual([
      ['alice', false],
      ['bob', true],
      ['alice', false],
    ]);
    const st = await bob.status();
    expect(st.exists).toBe(true);
    expect(st.last_seq).toBe(hist[2]!.seq);
  });

  it('poll() moves its own cursor past our messages and long-polls for the next one', async () => {
    const url = roomOn(r.url);
    const a = new Room(url, { name: 'pa', ...quiet });
    const b = new Room(url, { name: 'pb', ...quiet });
    await a.send('mine');
    expect(await a.poll({ timeout: 1 })).toEqual([]);
    const pending = a.poll({ timeout: 10 });
    await new Promise((res) => setTimeout(res, 200));
    await b.send('yours');
    expect((await pending).map((m) => m.text)).toEqual(['yours']);
  });

  it('stream resumes after= without duplicates and hides control envelopes', async () => {
    const url = roomOn(r.url);
    const a = new Room(url, { name: 'sa', ...quiet });
    const b = new Room(url, { name: 'sb', ...quiet });
    const first = await a.send('one');
    await a.react(first.id, '👍');
    await a.send('two');
    const s = b.stream({ after: first.seq });
    const got = await take(s, 1);
    expect(got.map((m) => m.text)).toEqual(['two']);
    await s.return(undefined);
    const withControl = b.stream({ includeControl: true, backlog: true });
    const all = await take(withControl, 3);
    expect(all.map((m) => m.kind)).toEqual(['chat', 'react', 'chat']);
    await withControl.return(undefined);
  });

  it('ttl and bad options are checked before anything is sent', async () => {
    const a = new Room(roomOn(r.url), { name: 'x', ...quiet });
    await expect(a.send('t', { ttlMs: 5 })).rejects.toThrow(/ttlMs/);
    await expect(a.send('t', { replyTo: 'no' })).rejects.toThrow(/replyTo/);
    await expect(a.send('x'.repeat(200_000))).rejects.toThrow(/too long/);
  });
});

describe('identities and signed rooms', () => {
  it('creates, registers and saves an identity in the reference file format (0600)', async () => {
    const path = join(dir.path, 'id1.key');
    const id = await ensureIdentity(r.url, path, 'sdk-alice');
    const st = statSync(path);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.size).toBe(65 + 'sdk-alice'.length);
    const again = await ensureIdentity(r.url, path);
    expect(again.handle).toBe('sdk-alice');
    expect(Buffer.from(again.signSeed)).toEqual(Buffer.from(id.signSeed));
    expect(await registerIdentity(r.url, id)).toBe('registered');
    await expect(registerIdentity(r.url, newIdentity('sdk-alice'))).rejects.toThrow(HandleTakenError);
  });

  it('signed posts arrive as verified @handle; signedOnly locks the room', async () => {
    const id = await ensureIdentity(r.url, join(dir.path, 'id2.key'), 'sdk-signer');
    const url = roomOn(r.url);
    const signer = new Room(url, { identity: id, signedOnly: true, ...quiet });
    const anon = new Room(url, { name: 'anon-1', ...quiet });
    await signer.send('signed hello');
    const [m] = await anon.poll({ after: 0, timeout: 1 });
    expect(m).toMatchObject({ sender: '@sdk-signer', senderVerified: true, text: 'signed hello' });
    expect((await anon.status()).signed_only).toBe(true);
    const err = await anon.send('unsigned').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(403);
  });

  it('claim / ack / next use the server cursor and skip our own messages', async () => {
    const id = await ensureIdentity(r.url, join(dir.path, 'id3.key'), 'sdk-worker');
    const url = roomOn(r.url);
    const worker = new Room(url, { name: 'worker', identity: id, ...quiet });
    const boss = new Room(url, { name: 'boss', ...quiet });
    await worker.send('my own note');
    await boss.send('task 1');
    await boss.send('task 2');
    const c1 = await worker.claim({ timeout: 2 });
    if (c1.empty) throw new Error('expected a claim');
    expect(c1.message.text).toBe('task 1');
    // Re-claiming before ack returns the same lease.
    const again = await worker.claim({ timeout: 2 });
    expect(!again.empty && again.claimId).toBe(c1.claimId);
    expect(await worker.ack(c1.claimId, c1.message.seq)).toMatchObject({
      advanced: true,
      cursor: c1.message.seq,
    });
    const stale = await worker.ack(c1.claimId, c1.message.seq + 1).catch((e: unknown) => e);
    expect((stale as HttpError).status).toBe(409);
    const n = await worker.next({ timeout: 2 });
    expect(!n.empty && n.message.text).toBe('task 2');
    expect(!n.empty && n.acked).toBe(true);
    const empty = await worker.next({ timeout: 1 });
    expect(empty.empty).toBe(true);
    // A failing handler leaves the message claimable.
    await boss.send('task 3');
    const refused = await worker.next({ timeout: 2, onClaim: () => false });
    expect(!refused.empty && refused.acked).toBe(false);
    const redo = await worker.claim({ timeout: 2 });
    expect(!redo.empty && redo.message.text).toBe('task 3');
  });

  it('DMs round-trip encrypted and signed, and can be deleted', async () => {
    const a = new Agent(r.url, await ensureIdentity(r.url, join(dir.path, 'dm-a.key'), 'dm-alice'));
    const b = new Agent(r.url, await ensureIdentity(r.url, join(dir.path, 'dm-b.key'), 'dm-bob'));
    await a.dm('@dm-bob', 'secret hi');
    await a.dm('dm-bob', 'anon hi', { anonymous: true });
    const box = await b.inboxWait({ after: 0, timeout: 2 });
    expect(box.messages.map((m) => [m.text, m.fromHandle, m.fromVerified])).toEqual([
      ['secret hi', 'dm-alice', true],
      ['anon hi', null, false],
    ]);
    expect(await b.deleteDm(box.messages[0]!.id)).toBe(1);
    const after = await b.inboxWait({ after: 0, timeout: 1 });
    expect(after.messages.map((m) => m.text)).toEqual(['anon hi']);
  });

  it('publishes a signed profile normalized exactly as the relay normalizes it', async () => {
    const a = new Agent(r.url, await ensureIdentity(r.url, join(dir.path, 'prof.key'), 'prof-agent'));
    const p = await a.publishProfile({
      display_name: 'Prof',
      framework: 'LangGraph',
      capabilities: ['Code Review', 'code review', 'SQL'],
      summary: '  reviews code  ',
    });
    expect(p).toMatchObject({
      handle: 'prof-agent',
      framework: 'langgraph',
      capabilities: ['code-review', 'sql'],
      summary: 'reviews code',
    });
  });
});

describe('adoption', () => {
  it('accepts a verified offer aimed at our name, switches identity in place and saves it', async () => {
    const url = roomOn(r.url);
    const opId = await ensureIdentity(r.url, join(dir.path, 'op.key'), 'sdk-operator');
    const operator = new Room(url, { identity: opId, ...quiet });
    const savePath = join(dir.path, 'adopted.key');
    const agent = new Room(url, { name: 'newbie', acceptAdoptions: true, identityFile: savePath, ...quiet });
    const other = new Room(url, { name: 'other', ...quiet });
    const fresh = newIdentity('adopted-one');
    await registerIdentity(r.url, fresh);
    const stream = agent.stream({ backlog: true });
    // An unverified sender's offer is ignored.
    const spoof = newIdentity('spoofed-one');
    await registerIdentity(r.url, spoof);
    await other.send(buildAdoptOffer(spoof, 'newbie', decodeBase64Loose(agent.boxPub)!));
    await operator.send(buildAdoptOffer(fresh, 'newbie', decodeBase64Loose(agent.boxPub)!));
    await operator.send('welcome');
    const [welcome] = await take(stream, 1);
    expect(welcome!.text).toBe('welcome');
    expect(agent.name).toBe('@adopted-one');
    // An agent keeps reading its stream, which reconnects under the new name.
    const reading = (async () => {
      for await (const m of stream) if (m.text === 'bye') return m;
      return null;
    })();
    // The relay lists the agent once, under its handle: the old name does not linger.
    const watcher = new SseClient(`${agent.apiBase}/events`);
    const listed = (f: Record<string, unknown>) =>
      ((f.participants ?? []) as Array<{ name: string; box_pub?: string }>)
        .filter((p) => p.box_pub === agent.boxPub)
        .map((p) => p.name);
    const p = await watcher.next(
      (f) => (f.type === 'ready' || f.type === 'presence') && listed(f).join() === '@adopted-one',
      15_000,
    );
    expect(listed(p)).toEqual(['@adopted-one']);
    watcher.close();
    expect(Buffer.from(loadIdentityFile(savePath).signSeed)).toEqual(Buffer.from(fresh.signSeed));
    expect(statSync(savePath).size).toBe(identityToSdkFile(fresh).length);
    // The new identity signs from now on, without reconnecting.
    await agent.send('signed now');
    const seen = await until(async () => (await operator.history()).find((m) => m.text === 'signed now'));
    expect(seen).toMatchObject({ sender: '@adopted-one', senderVerified: true });
    await operator.send('bye');
    expect(await reading).toMatchObject({ text: 'bye' });
  });
});

describe('resilience and presence', () => {
  it('send() rides out 429s by honouring Retry-After', async () => {
    const tight = await startRelay({ limits: { rateBucketCapacity: 2, rateBucketRefillPerS: 1 } });
    try {
      const url = roomOn(tight.url);
      const a = new Room(url, { name: 'burst', ...quiet });
      const started = Date.now();
      for (let i = 0; i < 4; i++) await a.send(`m${i}`);
      expect(Date.now() - started).toBeGreaterThan(900);
      expect((await a.history()).map((m) => m.text)).toEqual(['m0', 'm1', 'm2', 'm3']);
    } finally {
      await tight.close();
    }
  });

  it('streaming advertises our name and box_pub; heartbeat() needs an existing room', async () => {
    const url = roomOn(r.url);
    const a = new Room(url, { name: 'present', ...quiet });
    expect(await a.heartbeat()).toBe(false);
    const stop = new AbortController();
    const s = a.stream({ signal: stop.signal });
    const pending = s.next();
    const watcher = new SseClient(`${a.apiBase}/events`);
    const p = await watcher.next(
      (f) => f.type === 'presence' && JSON.stringify(f.participants).includes('"present"'),
    );
    expect(
      (p.participants as Array<{ name: string; box_pub?: string }>).find((x) => x.name === 'present')!
        .box_pub,
    ).toBe(a.boxPub);
    expect(await a.heartbeat()).toBe(true);
    watcher.close();
    // A stream blocked waiting for a message ends through its signal.
    stop.abort();
    expect((await pending).done).toBe(true);
  });

  it('reportBug files a report and refuses one carrying a room key', async () => {
    expect(await reportBug(r.url, { what: 'stream dropped after 90 s', severity: 'high' })).toMatch(
      /[0-9a-f-]{36}/,
    );
    await expect(reportBug(r.url, { what: `leaked ${roomOn(r.url)}` })).rejects.toThrow(/room key/);
  });
});
