import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClock, startRelay, type TestRelay } from '../../test-support/relay.js';
import { buildAdoptOffer, decodeBase64Loose, newIdentity } from '../../protocol/index.js';
import { SseClient } from '../../test-support/clients.js';
import { Room, ensureIdentity, loadIdentityFile, registerIdentity } from '../sdk/index.js';
import { CLI, requireBuilt, runCli, startCli, stop } from './cli.js';
import { roomOn, tempDir, until } from './helpers.js';

let r: TestRelay;
const clock = new TestClock();
const dir = tempDir('b2b-cli-');
const env = { BOT2BOT_CONFIG_DIR: join(dir.path, 'config') };
const quiet = { onWarning: () => undefined };
const lines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  requireBuilt(CLI);
  // A long grace keeps rooms alive while the test moves the relay clock around.
  r = await startRelay({ limits: { roomGraceMs: 3_600_000 } }, clock);
});
afterAll(async () => {
  await r.close();
  dir.cleanup();
});

describe('bot2bot <room-url>', () => {
  it('--say posts a message others decrypt', async () => {
    const url = roomOn(r.url);
    const res = await runCli([url, '--name', 'cli-sayer', '--say', 'hello from the shell'], env);
    expect(res).toMatchObject({ code: 0 });
    const [m] = await new Room(url, { name: 'reader', ...quiet }).history();
    expect(m).toMatchObject({ sender: 'cli-sayer', text: 'hello from the shell', senderVerified: false });
  });

  it('--tail --out appends one JSON line per message, without our own', async () => {
    const url = roomOn(r.url);
    const out = join(dir.path, 'tail.jsonl');
    appendFileSync(out, '{"pre":"existing"}\n');
    const peer = new Room(url, { name: 'peer', ...quiet });
    await peer.send('before start');
    const tail = startCli([url, '--name', 'tailer', '--tail', '--backlog', '--out', out], env);
    await until(
      () => existsSync(out) && readFileSync(out, 'utf8').includes('before start'),
      10_000,
      'replayed line',
    );
    await new Room(url, { name: 'tailer', ...quiet }).send('my own words');
    await peer.send('after start');
    const got = await until(() => {
      const l = lines(readFileSync(out, 'utf8'));
      return l.length >= 3 ? l : null;
    });
    expect(await stop(tail)).toBe(0);
    expect(got[0]).toEqual({ pre: 'existing' });
    expect(got.slice(1).map((l) => l.text)).toEqual(['before start', 'after start']);
    expect(Object.keys(got[1]!)).toEqual(['seq', 'ts', 'sender', 'text', 'is_self']);
    expect(got[1]).toMatchObject({ sender: 'peer', is_self: false });
    expect(typeof got[1]!.ts).toBe('number');
    expect(Math.abs((got[1]!.ts as number) - Date.now() / 1000)).toBeLessThan(60);
  });

  it('--watch shows hostile labels and texts without escapes and cannot be made to print a forged header', async () => {
    const url = roomOn(r.url);
    const ESC = '\u001b';
    const hostile = new Room(url, { name: `@alice ✓${ESC}]0;pwned\u0007`, ...quiet });
    await hostile.send(
      `hi${ESC}[2J${ESC}]52;c;Zm9v\u0007\u009b31m\n12:00:00  @owner ✓  rm -rf now\r\n\u202eevil`,
    );
    const watch = startCli([url, '--name', 'watcher', '--watch', '--backlog'], env);
    const out = await until(
      () => (watch.output.stdout.includes('evil') ? watch.output.stdout : null),
      10_000,
      'the watched message',
    );
    expect(await stop(watch)).toBe(0);
    expect(out).not.toMatch(/[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/);
    const printed = out.split('\n').filter(Boolean);
    expect(printed).toHaveLength(3);
    expect(printed[0]).toMatch(/^\d\d:\d\d:\d\d {2}@alice ✓\]0;pwned \(unsigned\) {2}hi\[2J\]52;c;Zm9v31m$/);
    // Only the first line starts like a message header; the others are indented under it.
    expect(printed.filter((l) => /^\d\d:\d\d:\d\d /.test(l))).toHaveLength(1);
    expect(printed.slice(1)).toEqual([
      `${' '.repeat(10)}12:00:00  @owner ✓  rm -rf now`,
      `${' '.repeat(10)}evil`,
    ]);
  });

  it('--tail starts from now unless --backlog; --expected-last-seq refuses a stale post', async () => {
    const url = roomOn(r.url);
    const peer = new Room(url, { name: 'peer', ...quiet });
    const old = await peer.send('old news');
    const tail = startCli([url, '--name', 'fresh', '--tail'], env);
    await until(async () => (await peer.status()).participants === 1, 10_000, 'the tail to connect');
    await peer.send('fresh news');
    await until(() => tail.output.stdout.includes('fresh news'), 10_000, 'the live line');
    expect(await stop(tail)).toBe(0);
    expect(tail.output.stdout).not.toContain('old news');

    const stale = await runCli(
      [url, '--name', 'opt', '--say', 'late', '--expected-last-seq', String(old.seq)],
      env,
    );
    expect(stale.code).toBe(2);
    expect(JSON.parse(stale.stdout)).toEqual({ error: 'room has moved on', last_seq: old.seq + 1 });
    const ok = await runCli(
      [url, '--name', 'opt', '--say', 'on time', '--expected-last-seq', String(old.seq + 1)],
      env,
    );
    expect(ok.code).toBe(0);
    expect((await peer.history()).map((m) => m.text)).toEqual(['old news', 'fresh news', 'on time']);
  });

  it('a first --next in a room leaves the earlier messages as history unless --backlog', async () => {
    const url = roomOn(r.url);
    const boss = new Room(url, { name: 'boss', ...quiet });
    await boss.send('said before the worker joined');
    const args = (who: string) => [
      url,
      '--name',
      who,
      '--handle',
      who,
      '--identity-file',
      join(dir.path, `${who}.key`),
      '--next',
      '--claim-timeout',
      '1',
    ];
    const fresh = await runCli(args('joiner-a'), env);
    expect(fresh.code).toBe(1);
    await boss.send('after joining');
    const next = await runCli(args('joiner-a'), env);
    expect(JSON.parse(next.stdout)).toMatchObject({ text: 'after joining' });
    const withBacklog = await runCli([...args('joiner-b'), '--backlog'], env);
    expect(JSON.parse(withBacklog.stdout)).toMatchObject({ text: 'said before the worker joined' });
  });

  it('--claim / --ack / --next with exit codes 0, 1 and 2', async () => {
    const url = roomOn(r.url);
    const args = [
      url,
      '--name',
      'cli-worker',
      '--handle',
      'cli-worker',
      '--identity-file',
      join(dir.path, 'worker.key'),
    ];
    const empty = await runCli([...args, '--claim', '--claim-timeout', '1'], env);
    expect(empty.code).toBe(1);
    expect(JSON.parse(empty.stdout)).toEqual({ empty: true });
    const boss = new Room(url, { name: 'boss', ...quiet });
    await boss.send('job A');
    await boss.send('job B');
    const c = await runCli([...args, '--claim'], env);
    expect(c.code).toBe(0);
    const claim = JSON.parse(c.stdout);
    expect(claim).toMatchObject({ sender: 'boss', text: 'job A' });
    expect(typeof claim.claim_id).toBe('string');
    const ack = await runCli([...args, '--ack', claim.claim_id, String(claim.seq)], env);
    expect(ack.code).toBe(0);
    expect(JSON.parse(ack.stdout)).toEqual({ ok: true, advanced: true, cursor: claim.seq });
    const stale = await runCli([...args, '--ack', claim.claim_id, String(claim.seq + 1)], env);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toMatch(/409/);
    const n = await runCli([...args, '--next'], env);
    expect(n.code).toBe(0);
    expect(JSON.parse(n.stdout)).toMatchObject({ text: 'job B' });
    expect(JSON.parse(n.stdout).ack_warning).toBeUndefined();
    const none = await runCli([...args, '--next', '--claim-timeout', '1'], env);
    expect(none.code).toBe(1);
  });

  it('re-delivers a claim that was never acked once its lease runs out', async () => {
    const url = roomOn(r.url);
    const args = [
      url,
      '--name',
      'crashy',
      '--handle',
      'cli-crashy',
      '--identity-file',
      join(dir.path, 'crashy.key'),
    ];
    await runCli([...args, '--claim', '--claim-timeout', '1'], env); // registers the handle
    await new Room(url, { name: 'boss', ...quiet }).send('do not lose me');
    // Claim "58 s ago" (still inside the ±60 s signature window), then come back 3 s "later":
    // the 60 s minimum lease has run out without a real minute passing.
    clock.advance(-58_000);
    const first = JSON.parse((await runCli([...args, '--claim'], env)).stdout);
    clock.advance(61_000);
    const again = await runCli([...args, '--claim'], env);
    expect(again.code).toBe(0);
    const second = JSON.parse(again.stdout);
    expect(second).toMatchObject({ seq: first.seq, text: 'do not lose me' });
    expect(second.claim_id).not.toBe(first.claim_id);
  });

  it('a bad room URL or key is a clear error with exit code 2', async () => {
    const badKey = await runCli([`${r.url}/room/ABCDEF#k=tooshort`, '--say', 'x'], env);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toMatch(/key .*32 bytes/);
    const noKey = await runCli([`${r.url}/room/ABCDEF`, '--claim'], env);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/missing its key/);
    const notUrl = await runCli(['wait', 'nonsense', '--name', 'x'], env);
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).toMatch(/not a URL/);
    const noIdentity = await runCli([roomOn(r.url), '--claim'], {
      BOT2BOT_CONFIG_DIR: join(dir.path, 'empty-config'),
    });
    expect(noIdentity.code).toBe(2);
    expect(noIdentity.stderr).toMatch(/--handle/);
  });

  it('create prints a fresh room URL with a 10-character id', async () => {
    const res = await runCli(['create', '--base', r.url], env);
    expect(res.code).toBe(0);
    expect(res.stdout.trim()).toMatch(new RegExp(`^${r.url}/room/[A-Z2-9]{10}#k=[A-Za-z0-9_-]{43}$`));
  });
});

/** The CLI with `input` on stdin. */
function runCliWithInput(
  args: string[],
  input: string,
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env, ...extraEnv } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', rej);
    child.on('close', (code) => res({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('bot2bot listen / send, and where the room link comes from', () => {
  it('--version prints the package version', async () => {
    const res = await runCli(['--version'], env);
    expect(res.code).toBe(0);
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
      version: string;
    };
    expect(res.stdout.trim()).toBe(pkg.version);
  });

  it('send takes the link from $BOT2BOT_ROOM_URL, --room-file or stdin, and the text from stdin with -', async () => {
    const url = roomOn(r.url);
    expect(
      await runCli(['send', '--name', 'env-sender', 'via env'], { ...env, BOT2BOT_ROOM_URL: url }),
    ).toMatchObject({ code: 0 });
    const file = join(dir.path, 'room-link.txt');
    writeFileSync(file, `${url}\n`, { mode: 0o600 });
    expect(
      await runCli(['send', '--room-file', file, '--name', 'file-sender', 'via file'], env),
    ).toMatchObject({ code: 0 });
    expect(
      await runCliWithInput(['send', '--room-file', '-', '--name', 'stdin-sender', 'via stdin'], `${url}\n`),
    ).toMatchObject({ code: 0 });
    expect(
      await runCliWithInput(['send', url, '--name', 'pipe-sender', '-'], 'text from a pipe\n'),
    ).toMatchObject({ code: 0 });
    const got = await new Room(url, { name: 'reader', ...quiet }).history();
    expect(got.map((m) => [m.sender, m.text])).toEqual([
      ['env-sender', 'via env'],
      ['file-sender', 'via file'],
      ['stdin-sender', 'via stdin'],
      ['pipe-sender', 'text from a pipe'],
    ]);
  });

  it('listen prints one JSON line per message from others', async () => {
    const url = roomOn(r.url);
    const listener = startCli(['listen', '--name', 'listener'], { ...env, BOT2BOT_ROOM_URL: url });
    const peer = new Room(url, { name: 'peer', ...quiet });
    await until(
      async () => {
        await peer.send('are you there?');
        await new Promise((res) => setTimeout(res, 300));
        return listener.output.stdout.includes('are you there?');
      },
      10_000,
      'the listener to print',
    );
    expect(await stop(listener)).toBe(0);
    const first = lines(listener.output.stdout)[0]!;
    expect(first).toMatchObject({ sender: 'peer', text: 'are you there?', is_self: false });
  });

  it('a missing or bad link exits 2 with a one-line reason, before any network call', async () => {
    for (const [args, extra, reason] of [
      [['listen'], {}, /no room link.*BOT2BOT_ROOM_URL/],
      [['send', 'hi'], { BOT2BOT_ROOM_URL: 'https://example.invalid/room/AB#k=x' }, /Bad room URL/],
      [['listen', '--room-file', join(dir.path, 'missing.txt')], {}, /cannot read the room link/],
      [['send', 'nonsense', 'hi'], {}, /not a URL/],
      [['listen', `${r.url}/room/ABCDEF#k=short`], {}, /32 bytes/],
    ] as Array<[string[], Record<string, string>, RegExp]>) {
      const res = await runCli(args, { ...env, ...extra });
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr.trim().split('\n'), res.stderr).toHaveLength(1);
      expect(res.stderr).toMatch(reason);
    }
    const usage = await runCli(['send'], env);
    expect(usage.code).toBe(2);
  });
});

describe('bot2bot wait', () => {
  it('skips our own messages and messages addressed only to others, prints the next one', async () => {
    const url = roomOn(r.url);
    const peer = new Room(url, { name: 'peer', ...quiet });
    await peer.send('old news');
    const w = startCli(['wait', url, '--name', 'waiter', '--timeout', '20'], env);
    await until(async () => (await peer.status()).participants, 10_000, 'waiter connected');
    await new Room(url, { name: 'waiter', ...quiet }).send('talking to myself');
    await peer.send('@someone-else please handle this');
    await peer.send('@waiter and @someone-else: both of you');
    expect(await w.exited).toBe(0);
    const [m] = lines(w.output.stdout);
    expect(m).toMatchObject({
      sender: 'peer',
      text: '@waiter and @someone-else: both of you',
      is_self: false,
    });
    const timedOut = await runCli(
      ['wait', url, '--name', 'waiter', '--timeout', '1', '--after', String(m!.seq)],
      env,
    );
    expect(timedOut.code).toBe(1);
  });
});

describe('bot2bot daemon', () => {
  it('writes the inbox, sends the outbox, and resends nothing after a restart', async () => {
    const url = roomOn(r.url);
    const d = join(dir.path, 'daemon');
    const peer = new Room(url, { name: 'peer', ...quiet });
    await peer.send('first to the daemon');
    let daemon = startCli(['daemon', url, '--name', 'daemon-bot', '--dir', d, '--poll-ms', '50'], env);
    const inbox = join(d, 'inbox.jsonl');
    await until(
      () => existsSync(inbox) && readFileSync(inbox, 'utf8').includes('first to the daemon'),
      10_000,
      'inbox line',
    );
    appendFileSync(join(d, 'outbox.jsonl'), `${JSON.stringify({ text: 'reply one' })}\nnot json\n`);
    const seen = await until(async () => (await peer.history()).find((m) => m.text === 'reply one'));
    expect(seen.sender).toBe('daemon-bot');
    appendFileSync(join(d, 'outbox.jsonl'), `${JSON.stringify({ text: 'reply two', reply_to: seen.id })}\n`);
    await until(async () => (await peer.history()).find((m) => m.text === 'reply two'));
    expect(await stop(daemon)).toBe(0);
    expect(daemon.output.stderr).toMatch(/skipping outbox line/);

    await peer.send('while you were away');
    daemon = startCli(['daemon', url, '--name', 'daemon-bot', '--dir', d, '--poll-ms', '50'], env);
    await until(
      () => readFileSync(inbox, 'utf8').includes('while you were away'),
      10_000,
      'inbox after restart',
    );
    appendFileSync(join(d, 'outbox.jsonl'), `${JSON.stringify({ text: 'reply three' })}\n`);
    await until(async () => (await peer.history()).find((m) => m.text === 'reply three'));
    await new Promise((res) => setTimeout(res, 300));
    expect(await stop(daemon)).toBe(0);
    const hist = await peer.history();
    expect(hist.filter((m) => m.sender === 'daemon-bot').map((m) => m.text)).toEqual([
      'reply one',
      'reply two',
      'reply three',
    ]);
    expect(hist.find((m) => m.text === 'reply two')!.replyTo).toBe(seen.id);
    const inboxLines = lines(readFileSync(inbox, 'utf8'));
    expect(inboxLines.map((l) => l.text)).toEqual(['first to the daemon', 'while you were away']);
    expect(inboxLines[0]).toMatchObject({ sender: 'peer', is_self: false, sender_verified: false });
  });
});

describe('bot2bot daemon --accept-adoptions', () => {
  it("starts anonymous, takes an operator's offer, signs from then on and keeps the handle across a restart", async () => {
    const url = roomOn(r.url);
    const d = join(dir.path, 'adoptee');
    const keyFile = join(d, 'identity.key');
    const args = [
      'daemon',
      url,
      '--name',
      'adoptee',
      '--dir',
      d,
      '--poll-ms',
      '50',
      '--accept-adoptions',
      '--identity-file',
      keyFile,
    ];
    const operator = new Room(url, {
      identity: await ensureIdentity(r.url, join(dir.path, 'cli-op.key'), 'cli-operator'),
      ...quiet,
    });
    const watcher = new SseClient(`${operator.apiBase}/events`);
    let daemon = startCli(args, env);
    try {
      // The offer is sealed to the box key the daemon advertises in presence.
      const presence = await watcher.next(
        (f) => f.type === 'presence' && JSON.stringify(f.participants).includes('"adoptee"'),
      );
      const boxPub = (presence.participants as Array<{ name: string; box_pub?: string }>).find(
        (p) => p.name === 'adoptee',
      )!.box_pub!;
      expect(existsSync(keyFile)).toBe(false);
      appendFileSync(join(d, 'outbox.jsonl'), `${JSON.stringify({ text: 'still anonymous' })}\n`);
      await until(async () => (await operator.history()).find((m) => m.text === 'still anonymous'));

      const adopted = newIdentity('cli-adoptee');
      await registerIdentity(r.url, adopted);
      await operator.send(buildAdoptOffer(adopted, 'adoptee', decodeBase64Loose(boxPub)!));
      await until(() => existsSync(keyFile) && statSync(keyFile).size > 0, 10_000, 'identity file');
      expect(Buffer.from(loadIdentityFile(keyFile).signSeed)).toEqual(Buffer.from(adopted.signSeed));
      await until(
        () => /adopted as @cli-adoptee by @cli-operator; identity saved to /.test(daemon.output.stderr),
        5_000,
        'adoption on stderr',
      );
      appendFileSync(join(d, 'outbox.jsonl'), `${JSON.stringify({ text: 'signed now' })}\n`);
      const signed = await until(async () => (await operator.history()).find((m) => m.text === 'signed now'));
      expect(signed).toMatchObject({ sender: '@cli-adoptee', senderVerified: true });
      expect(await stop(daemon)).toBe(0);

      // The same command line, restarted, signs with the saved identity from the first post.
      daemon = startCli(args, env);
      appendFileSync(join(d, 'outbox.jsonl'), `${JSON.stringify({ text: 'after restart' })}\n`);
      const again = await until(async () =>
        (await operator.history()).find((m) => m.text === 'after restart'),
      );
      expect(again).toMatchObject({ sender: '@cli-adoptee', senderVerified: true });
      const hist = await operator.history();
      expect(hist.find((m) => m.text === 'still anonymous')).toMatchObject({
        sender: 'adoptee',
        senderVerified: false,
      });
    } finally {
      watcher.close();
      await stop(daemon);
    }
  });

  it('without --accept-adoptions a missing --identity-file is still an error that names the fix', async () => {
    const res = await runCli(
      [roomOn(r.url), '--name', 'x', '--say', 'hi', '--identity-file', join(dir.path, 'nope.key')],
      env,
    );
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--handle/);
  });
});
