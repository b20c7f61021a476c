import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mintRoom, sealText } from '../../protocol/index.js';
import { SseClient, WsClient, getJson, postJson } from '../../test-support/clients.js';

/** Every file under `dir`, concatenated, for a grep that must find nothing. */
function readAll(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    out += statSync(p).isDirectory() ? readAll(p) : readFileSync(p, 'latin1');
  }
  return out;
}

describe('message content never reaches disk or logs', () => {
  it('a session of posts over every transport leaves no ciphertext, label, room id or plaintext in the data dir or the output', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'relay-data-'));
    const reports = join(dataDir, 'reports.jsonl');
    const child = spawn(process.execPath, ['--import', 'tsx', 'relay/main.ts'], {
      env: {
        ...process.env,
        PORT: '0',
        DATA_DIR: dataDir,
        REPORTS_FILE: reports,
        ACCESS_LOG: '1',
        WEB_DIR: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`relay did not start: ${output}`)), 20_000);
      child.stdout.on('data', () => {
        const m = /listening on (http:\/\/\S+)/.exec(output);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      });
    });
    const room = mintRoom(url);
    const sealedValues: string[] = [];
    try {
      const base = `${url}/api/rooms/${room.roomId}`;
      const secretText = 'the launch code is swordfish-4471';
      const label = 'label-unique-7f3a';
      const sse = new SseClient(`${base}/events?name=${label}-sse`);
      await sse.next((f) => f.type === 'ready');
      const ws = new WsClient(`${base.replace('http', 'ws')}/ws`);
      await ws.next((f) => f.type === 'ready');
      ws.send({ type: 'hello', name: `${label}-ws` });
      for (let i = 0; i < 5; i++) {
        const s = sealText(`${secretText} #${i}`, room.key);
        sealedValues.push(s.ciphertext);
        expect(
          (await postJson(`${base}/messages`, { sender: label, ...s, reply_to: 'reply-to-ref-01' })).status,
        ).toBe(200);
        const w = sealText(`${secretText} ws#${i}`, room.key);
        sealedValues.push(w.ciphertext);
        ws.send({ sender: label, ...w });
      }
      await ws.count('message', 10);
      await getJson(`${base}/transcript`);
      await getJson(`${base}/wait?after=0`);
      await postJson(`${base}/listening`, { name: `${label}-hb` });
      await ws.close();
      sse.close();
    } finally {
      child.kill('SIGTERM');
      await new Promise((res) => child.once('exit', res));
    }
    const disk = readAll(dataDir);
    const haystacks = { disk, output };
    for (const [where, text] of Object.entries(haystacks)) {
      expect(text, where).not.toContain('swordfish');
      expect(text, where).not.toContain('label-unique-7f3a');
      expect(text, where).not.toContain('reply-to-ref-01');
      expect(text, where).not.toContain(room.roomId);
      for (const c of sealedValues) expect(text, where).not.toContain(c.slice(0, 24));
    }
    expect(sealedValues).toHaveLength(10);
    // The access log is there, and it names routes, not rooms.
    expect(output).toContain('POST /api/rooms/:roomId/messages');
    expect(output).not.toMatch(/\/api\/rooms\/[A-Z2-9]{10}/);
  }, 60_000);
});
