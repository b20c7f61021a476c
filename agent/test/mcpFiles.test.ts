import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type TestRelay } from '../../test-support/relay.js';
import { Room } from '../sdk/index.js';
import { MCP, requireBuilt } from './cli.js';
import { startMcpHost } from './mcpHost.js';
import { roomOn, take, tempDir } from './helpers.js';

let r: TestRelay;
const dir = tempDir('b2b-mcpfiles-');
const open: Client[] = [];

async function agent(configName: string, roomName: string) {
  const host = await startMcpHost({
    base: r.url,
    home: dir.path,
    configName,
    open,
    env: { BOT2BOT_MCP_ROOM_NAME: roomName },
  });
  return (tool: string, args: Record<string, unknown>) => host.call(tool, args);
}

beforeAll(async () => {
  requireBuilt(MCP);
  r = await startRelay();
});
afterAll(async () => {
  for (const c of open) await c.close().catch(() => undefined);
  await r.close();
  dir.cleanup();
});

describe('MCP attachments and edits', () => {
  it("send_file from a path reaches an SDK agent; fetch_file writes the SDK agent's file after verifying it", async () => {
    const url = roomOn(r.url);
    const call = await agent('alice', 'alice-mcp');
    const bob = new Room(url, { name: 'bob', onWarning: () => undefined });
    const src = join(dir.path, 'diff.patch');
    const bytes = randomBytes(300 * 1024);
    writeFileSync(src, bytes);
    const sent = await call('send_file', { url, path: src, caption: 'the fix' });
    expect(sent.text).toMatch(
      /^file sent as "alice-mcp": diff\.patch \(300\.0 KiB, sha256 [0-9a-f]{64}\)\. message_id=\S+ seq=\d+$/,
    );
    const [m] = await take(bob.stream({ backlog: true }), 1);
    expect(m!.attachment?.name).toBe('diff.patch');
    expect(Buffer.from(await bob.download(m!)).equals(bytes)).toBe(true);

    const back = randomBytes(40_000);
    const reply = await bob.sendFile(back, { name: 'answer.bin' });
    const listed = await call('get_transcript', { url });
    expect(listed.text).toContain(
      `[file] answer.bin (application/octet-stream, 39.1 KiB) (fetch_file with message_id=${reply.id})`,
    );
    const dest = join(dir.path, 'got.bin');
    const fetched = await call('fetch_file', { url, message_id: reply.id, dest });
    expect(fetched.text).toMatch(/^saved answer\.bin to .*got\.bin .*verified/);
    expect(readFileSync(dest).equals(back)).toBe(true);
    const again = await call('fetch_file', { url, message_id: reply.id, dest });
    expect(again).toMatchObject({ isError: true });
    expect(again.text).toMatch(/exists; pass overwrite/);
    const missing = await call('fetch_file', { url, message_id: 'nosuchmessage', dest: dir.path });
    expect(missing.text).toMatch(/not in the room's buffer/);
  });

  it("edit_message changes the agent's own message; a forged edit is not shown", async () => {
    const url = roomOn(r.url);
    const call = await agent('editor', 'editor-mcp');
    const sent = await call('send_message', { url, text: 'ETA 10 min' });
    const id = /message_id=(\S+)/.exec(sent.text)![1]!;
    const forger = new Room(url, { name: 'forger', onWarning: () => undefined });
    await forger.edit(id, 'ETA never');
    expect((await call('edit_message', { url, target_id: id, text: 'ETA 20 min' })).text).toMatch(
      /^edit sent as "editor-mcp"/,
    );
    const t = await call('get_transcript', { url });
    const lines = t.text.split('\n').filter((l) => l.startsWith('[seq='));
    expect(lines.map((l) => l.replace(/^\[seq=\d+\] /, ''))).toEqual([
      'editor-mcp: ETA 10 min',
      `editor-mcp: ETA 20 min (edited message ${id})`,
    ]);
  });

  it('delete_message hides a message for everyone; it frees the files this server uploaded, not others', async () => {
    const url = roomOn(r.url);
    const roomId = new URL(url).pathname.split('/')[2]!;
    const call = await agent('deleter', 'deleter-mcp');
    const chunk = (blobId: string) => fetch(`${r.url}/api/rooms/${roomId}/blobs/${blobId}/chunks/0`);
    const bob = new Room(url, { name: 'bob', onWarning: () => undefined });
    const bobs = await bob.sendFile(randomBytes(4000), { name: 'oops.bin' });
    await bob.send('still here');
    const src = join(dir.path, 'mine.bin');
    writeFileSync(src, randomBytes(3000));
    const mine = await call('send_file', { url, path: src });
    const mineId = /message_id=(\S+)/.exec(mine.text)![1]!;
    const [own] = (await bob.history()).filter((m) => m.id === mineId);
    expect((await chunk(own!.attachment!.blob_id)).status).toBe(200);

    const freed = await call('delete_message', { url, target_id: mineId });
    expect(freed.text).toMatch(
      /^delete sent as "deleter-mcp" for message \S+ \(its file was freed\)\. message_id=\S+ seq=\d+$/,
    );
    expect((await chunk(own!.attachment!.blob_id)).status).toBe(404);

    // Someone else's file: only its uploader holds the delete secret, so the file stays.
    const hidden = await call('delete_message', { url, target_id: bobs.id });
    expect(hidden.text).toMatch(/^delete sent as "deleter-mcp" for message \S+\. message_id=\S+ seq=\d+$/);
    expect((await chunk(bobs.attachment.blob_id)).status).toBe(200);
    const t = await call('get_transcript', { url });
    expect(t.text).not.toContain('oops.bin');
    expect(t.text).not.toContain('mine.bin');
    expect(t.text).toContain('bob: still here');
    const hist = await new Room(url, { name: 'reader', onWarning: () => undefined }).history();
    expect(hist.map((m) => m.text)).toEqual(['still here']);
  });
});
