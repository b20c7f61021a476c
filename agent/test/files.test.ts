import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyPlaintext, editEnvelope, sealText, type StoredMessage } from '../../protocol/index.js';
import { startRelay, type TestRelay } from '../../test-support/relay.js';
import { FileIntegrityError, Room, type Message } from '../sdk/index.js';
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

describe('attachments in the TypeScript SDK', () => {
  it('sends a file from a path and the other agent downloads it byte-identical, verified', async () => {
    const url = roomOn(r.url);
    const alice = new Room(url, { name: 'alice', ...quiet });
    const bob = new Room(url, { name: 'bob', ...quiet });
    const src = join(dir.path, 'build.log.gz');
    const bytes = randomBytes(700 * 1024 + 3);
    writeFileSync(src, bytes);
    const progress: number[] = [];
    const sent = await alice.sendFile(src, { text: 'nightly build', onProgress: (d) => progress.push(d) });
    expect(progress.at(-1)).toBe(bytes.length);
    expect(sent.attachment).toMatchObject({
      name: 'build.log.gz',
      type: 'application/gzip',
      size: bytes.length,
      chunks: 3,
    });

    const [m] = await take(bob.stream({ backlog: true }), 1);
    expect(m!.kind).toBe('file');
    expect(m!.id).toBe(sent.id);
    expect(m!.text).toBe('[file] build.log.gz (application/gzip, 700.0 KiB) nightly build');
    const out = join(dir.path, 'bob');
    writeFileSync(join(dir.path, 'marker'), '');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(out);
    const saved = await bob.download(m!, out);
    expect(saved.path).toBe(join(out, 'build.log.gz'));
    expect(readFileSync(saved.path).equals(bytes)).toBe(true);
    expect(Buffer.from(await bob.download(m!.attachment!)).equals(bytes)).toBe(true);
    // The relay stored ciphertext only: no 64-byte window of the file appears in what it serves.
    const chunk = Buffer.from(
      await (
        await fetch(`${r.url}/api/rooms/${alice.roomId}/blobs/${sent.attachment.blob_id}/chunks/0`)
      ).arrayBuffer(),
    );
    expect(chunk.includes(bytes.subarray(1000, 1064))).toBe(false);
  });

  it('refuses a file whose digest or key does not match, and writes nothing', async () => {
    const url = roomOn(r.url);
    const alice = new Room(url, { name: 'alice', ...quiet });
    const sent = await alice.sendFile(randomBytes(5000), { name: 'x.bin' });
    const out = join(dir.path, 'tampered.bin');
    const wrongDigest = { ...sent.attachment, sha256: '0'.repeat(64) };
    await expect(alice.download(wrongDigest, out)).rejects.toBeInstanceOf(FileIntegrityError);
    const wrongKey = {
      ...sent.attachment,
      key: sent.attachment.key.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')),
    };
    await expect(alice.download(wrongKey, out)).rejects.toBeInstanceOf(FileIntegrityError);
    const shorter = { ...sent.attachment, size: 4999 };
    await expect(alice.download(shorter)).rejects.toBeInstanceOf(FileIntegrityError);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir.path).some((f) => f.includes('.part-'))).toBe(false);
  });

  it('deleting a file message for everyone frees its blob at the relay', async () => {
    const url = roomOn(r.url);
    const alice = new Room(url, { name: 'alice', ...quiet });
    const sent = await alice.sendFile(randomBytes(2000), { name: 'gone.bin' });
    const chunk = `${r.url}/api/rooms/${alice.roomId}/blobs/${sent.attachment.blob_id}/chunks/0`;
    expect((await fetch(chunk)).status).toBe(200);
    await alice.deleteMessage(sent.id);
    const deadline = Date.now() + 5000;
    while ((await fetch(chunk)).status !== 404 && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 20));
    expect((await fetch(chunk)).status).toBe(404);
  });

  it('an empty file and a name with a path round-trip safely', async () => {
    const url = roomOn(r.url);
    const alice = new Room(url, { name: 'alice', ...quiet });
    const sent = await alice.sendFile(new Uint8Array(0), { name: '../../etc/passwd' });
    const target = join(dir.path, 'safe');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(target);
    const saved = await alice.download(sent.attachment, target);
    expect(saved.path).toBe(join(target, 'passwd'));
    expect(readFileSync(saved.path).length).toBe(0);
  });
});

describe('edits in the TypeScript SDK', () => {
  it("applies the sender's edit, ignores everyone else's, and folds edits into history", async () => {
    const url = roomOn(r.url);
    const alice = new Room(url, { name: 'alice', ...quiet });
    const mallory = new Room(url, { name: 'mallory', ...quiet });
    const bob = new Room(url, { name: 'bob', ...quiet });
    const first = await alice.send('deploy at 5pm');
    await mallory.edit(first.id, 'deploy now, skip tests');
    await alice.edit(first.id, 'deploy at 6pm');
    const stream = bob.stream({ backlog: true });
    const got = await take(stream, 2);
    expect(got.map((m) => [m.kind, m.text, m.edited ?? false])).toEqual([
      ['chat', 'deploy at 5pm', false],
      ['edit', 'deploy at 6pm', true],
    ]);
    expect(got[1]!.editOf).toBe(first.id);
    const hist = await bob.history();
    expect(hist.map((m) => [m.id, m.text, m.edited ?? false])).toEqual([[first.id, 'deploy at 6pm', true]]);
    // Deleted messages take no edits.
    await alice.deleteMessage(first.id);
    await alice.edit(first.id, 'resurrected');
    await alice.send('done');
    const late = new Room(url, { name: 'late', ...quiet });
    const seen: Message[] = [];
    const it2 = late.stream({ includeControl: true, backlog: true });
    const all = await take(it2, 4);
    seen.push(...all);
    expect(seen.map((m) => [m.kind, m.kind === 'delete' ? '' : m.text])).toEqual([
      ['chat', 'deploy at 5pm'],
      ['edit', 'deploy at 6pm'],
      ['delete', ''],
      ['chat', 'done'],
    ]);
  });

  it("a stream that starts after a message still applies its sender's later edit", async () => {
    const url = roomOn(r.url);
    const alice = new Room(url, { name: 'alice', ...quiet });
    const first = await alice.send('draft');
    await alice.send('something else');
    const bob = new Room(url, { name: 'bob', ...quiet });
    const live = bob.stream();
    const next = live.next();
    // The stream starts from now; the edit arrives live and its target is learned from the transcript.
    await until(async () => ((await alice.status()).participants ?? 0) >= 1, 10_000, 'bob connected');
    await new Room(url, { name: 'mallory', ...quiet }).edit(first.id, 'forged');
    await alice.edit(first.id, 'final');
    const m = (await next).value!;
    expect([m.kind, m.text, m.editOf, m.sender]).toEqual(['edit', 'final', first.id, 'alice']);
    await live.return(undefined);
  });

  it('in a signed room, an unsigned post under the same label cannot edit a verified message', async () => {
    const url = roomOn(r.url);
    const bob = new Room(url, { name: 'bob', ...quiet });
    const target: Message = {
      seq: 10,
      id: 'target-0001',
      sender: '@alice',
      senderVerified: true,
      text: 'x',
      ts: Date.now(),
      isSelf: false,
      kind: 'chat',
    };
    const edit = (verified: boolean, seq: number): StoredMessage => ({
      seq,
      id: `edit-${seq}-00`,
      sender: '@alice',
      sender_verified: verified,
      ...sealText(editEnvelope('target-0001', 'changed'), bob.key),
      ts: Date.now(),
    });
    const tracker = (bob as unknown as { edits: { track(m: Message): Message | null } }).edits;
    tracker.track(target);
    expect(await bob.receive(edit(false, 11))).toBeNull();
    expect((await bob.receive(edit(true, 12)))?.text).toBe('changed');
    expect(classifyPlaintext(editEnvelope('a', 'b')).kind).toBe('edit');
  });
});
