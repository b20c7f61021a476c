import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type TestRelay } from '../../test-support/relay.js';
import { Room } from '../sdk/index.js';
import { CLI, ROOT, requireBuilt, runCli, startCli, stop } from './cli.js';
import { roomOn, take, tempDir, until } from './helpers.js';

let r: TestRelay;
const dir = tempDir('b2b-clifiles-');
const env = { BOT2BOT_CONFIG_DIR: join(dir.path, 'config') };
const quiet = { onWarning: () => undefined };

beforeAll(async () => {
  requireBuilt(CLI);
  r = await startRelay();
});
afterAll(async () => {
  await r.close();
  dir.cleanup();
});

describe('bot2bot files from the shell', () => {
  it('send --file posts an encrypted file that an SDK agent downloads byte-identical', async () => {
    const url = roomOn(r.url);
    const src = join(dir.path, 'screenshot.png');
    const bytes = randomBytes(400 * 1024);
    writeFileSync(src, bytes);
    const res = await runCli([url, '--name', 'cli-sender', '--file', src, '--say', 'see attached'], env);
    expect(res.code, res.stderr).toBe(0);
    const printed = JSON.parse(res.stdout) as { id: string; name: string; size: number };
    expect(printed).toMatchObject({ name: 'screenshot.png', size: bytes.length });
    const [m] = await take(new Room(url, { name: 'reader', ...quiet }).stream({ backlog: true }), 1);
    expect(m).toMatchObject({ id: printed.id, sender: 'cli-sender', kind: 'file' });
    expect(m!.attachment).toMatchObject({ name: 'screenshot.png', type: 'image/png', text: 'see attached' });
    expect(Buffer.from(await new Room(url, { name: 'reader2', ...quiet }).download(m!)).equals(bytes)).toBe(
      true,
    );
  });

  it('the send command takes --file too, with or without a caption', async () => {
    const url = roomOn(r.url);
    const src = join(dir.path, 'notes.txt');
    writeFileSync(src, 'plain notes\n');
    const bare = await runCli(['send', url, '--name', 'cli-send', '--file', src], env);
    expect(bare.code, bare.stderr).toBe(0);
    const captioned = await runCli(['send', url, 'with a caption', '--name', 'cli-send', '--file', src], env);
    expect(captioned.code, captioned.stderr).toBe(0);
    const got = await take(new Room(url, { name: 'reader', ...quiet }).stream({ backlog: true }), 2);
    expect(got.map((m) => [m.kind, m.attachment?.name, m.attachment?.text ?? ''])).toEqual([
      ['file', 'notes.txt', ''],
      ['file', 'notes.txt', 'with a caption'],
    ]);
  });

  it('download takes the room link from $BOT2BOT_ROOM_URL like every other command', async () => {
    const url = roomOn(r.url);
    const bytes = randomBytes(3000);
    const sent = await new Room(url, { name: 'peer', ...quiet }).sendFile(bytes, { name: 'env.bin' });
    const into = join(dir.path, 'from-env');
    mkdirSync(into, { recursive: true });
    const res = await runCli(['download', sent.id, '--out', `${into}/`], { ...env, BOT2BOT_ROOM_URL: url });
    expect(res.code, res.stderr).toBe(0);
    expect(readFileSync(join(into, 'env.bin')).equals(bytes)).toBe(true);
  });

  it('--tail describes an attachment and the download command it prints fetches it', async () => {
    const url = roomOn(r.url);
    const out = join(dir.path, 'tail.jsonl');
    const tail = startCli([url, '--name', 'tailer', '--tail', '--backlog', '--out', out], env);
    const peer = new Room(url, { name: 'peer', ...quiet });
    const bytes = randomBytes(1_500_000);
    const sent = await peer.sendFile(bytes, { name: 'data.bin' });
    await peer.edit(sent.id, 'new caption');
    const lines = await until(() => {
      try {
        const l = readFileSync(out, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((x) => JSON.parse(x) as Record<string, unknown>);
        return l.length >= 2 ? l : null;
      } catch {
        return null;
      }
    });
    expect(await stop(tail)).toBe(0);
    expect(lines[0]).toMatchObject({
      sender: 'peer',
      id: sent.id,
      text: '[file] data.bin (application/octet-stream, 1.4 MiB)',
      file: {
        name: 'data.bin',
        type: 'application/octet-stream',
        size: bytes.length,
        sha256: sent.attachment.sha256,
      },
      fetch: `bot2bot download "$ROOM" ${sent.id} --out ./`,
    });
    expect(lines[1]).toMatchObject({ text: 'new caption', edited: true, edit_of: sent.id });

    const into = join(dir.path, 'downloads');
    mkdirSync(into);
    const args = (lines[0]!.fetch as string).replace('"$ROOM"', url).replace('./', into).split(' ').slice(1);
    const dl = await runCli(args, env);
    expect(dl.code, dl.stderr).toBe(0);
    expect(JSON.parse(dl.stdout)).toMatchObject({
      path: join(into, 'data.bin'),
      bytes: bytes.length,
      sha256: sent.attachment.sha256,
      sender: 'peer',
    });
    expect(readFileSync(join(into, 'data.bin')).equals(bytes)).toBe(true);
    const again = await runCli(['download', url, sent.id, '--out', join(into, 'data.bin')], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists; pass --force/);
    const none = await runCli(['download', url, 'nosuchmessage1'], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/not in the room's buffer/);
  });

  it("the README's delete command hides a message for everyone; its uploader's delete frees the file", async () => {
    const url = roomOn(r.url);
    const roomId = new URL(url).pathname.split('/')[2]!;
    const peer = new Room(url, { name: 'peer', ...quiet });
    const sent = await peer.sendFile(randomBytes(5000), { name: 'secret.bin' });
    const gone = await peer.send('delete me too');
    await peer.send('keep me');
    const chunk = () => fetch(`${r.url}/api/rooms/${roomId}/blobs/${sent.attachment.blob_id}/chunks/0`);
    expect((await chunk()).status).toBe(200);

    // The command exactly as agent/README.md shows it, with a real id for the placeholder.
    const readme = readFileSync(join(ROOT, 'agent/README.md'), 'utf8');
    const shown = readme.split('\n').find((l) => l.startsWith('bot2bot delete '));
    expect(shown).toBe('bot2bot delete "$ROOM" <message-id>');
    const bin = join(dir.path, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'bot2bot'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, {
      mode: 0o755,
    });
    const out = await new Promise<string>((res, rej) =>
      execFile(
        'bash',
        ['-c', shown!.replace('<message-id>', sent.id)],
        { env: { ...process.env, ...env, ROOM: url, PATH: `${bin}:${process.env.PATH ?? ''}` } },
        (err, stdout, stderr) => (err ? rej(new Error(`${err.message}: ${stderr}`)) : res(stdout)),
      ),
    );
    expect(JSON.parse(out)).toMatchObject({ deleted: sent.id, seq: expect.any(Number) });
    // Only the uploader holds the file's delete secret: the CLI hides the message for everyone,
    // the file stays until its uploader frees it.
    expect((await chunk()).status).toBe(200);
    await peer.deleteMessage(sent.id);
    expect((await chunk()).status).toBe(404);

    // The link may come from $BOT2BOT_ROOM_URL as for every other command.
    const viaEnv = await runCli(['delete', gone.id], { ...env, BOT2BOT_ROOM_URL: url });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    const hist = await new Room(url, { name: 'reader', ...quiet }).history();
    expect(hist.map((m) => m.text)).toEqual(['keep me']);

    const bad = await runCli(['delete', url, 'not an id'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a message id/);
  });
});
