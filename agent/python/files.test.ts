/**
 * Files and edits between the TypeScript and Python SDKs through a real relay: each side sends,
 * the other downloads byte-identical; each side ignores the other's forged edit.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRelay, type TestRelay } from '../../test-support/relay.js';
import { Room } from '../sdk/index.js';
import { roomOn, take, tempDir } from '../test/helpers.js';

const PYTHON = '/usr/bin/python3';
let r: TestRelay;
const dir = tempDir('b2b-pyfiles-');
const quiet = { onWarning: () => undefined };

/** Run a Python snippet with bot2bot importable; its stdout's last line is parsed as JSON. */
function py(code: string, env: Record<string, string>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      PYTHON,
      ['-c', `import sys, json\nsys.path.insert(0, 'agent/python')\nfrom bot2bot import *\n${code}`],
      {
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...env },
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`python exited ${code}: ${err}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>);
    });
  });
}

/** Python: `bob` joins `url`, and `reads[0]` counts the transcript reads his session makes. */
const BOB_COUNTING_READS = `bob = Room(url, name='py-bob', heartbeat=False)
reads = [0]
request = bob._session.request
def counting(method, u, *a, **k):
    if '/transcript' in u:
        reads[0] += 1
    return request(method, u, *a, **k)
bob._session.request = counting`;

beforeAll(async () => {
  r = await startRelay();
});
afterAll(async () => {
  await r.close();
  dir.cleanup();
});

describe('files and edits between TypeScript and Python', () => {
  it('a TypeScript file downloads byte-identical in Python, and a Python file in TypeScript', async () => {
    const url = roomOn(r.url);
    const ts = new Room(url, { name: 'ts-agent', ...quiet });
    const tsBytes = randomBytes(600 * 1024 + 11);
    const sent = await ts.sendFile(tsBytes, { name: 'from-ts.bin', text: 'for python' });
    const pyOut = join(dir.path, 'py-got');
    const pyIn = join(dir.path, 'from-py.log');
    const pyBytes = randomBytes(300 * 1024 + 5);
    writeFileSync(pyIn, pyBytes);
    const res = await py(
      `
import os
room = Room(os.environ['URL'], name='py-agent', heartbeat=False)
msgs = room.history()
m = [x for x in msgs if x.attachment][0]
os.makedirs(os.environ['OUT'])
path = room.download(m, os.environ['OUT'])
# A wrong digest writes nothing.
bad = dict(m.attachment, sha256='0' * 64)
try:
    room.download(bad, os.path.join(os.environ['OUT'], 'bad.bin'))
    refused = False
except FileIntegrityError:
    refused = True
sent = room.send_file(os.environ['IN'], text='from python')
print(json.dumps({'path': path, 'text': m.text, 'line': m.to_json(), 'refused': refused,
                  'left': sorted(os.listdir(os.environ['OUT'])), 'id': sent['id']}))
`,
      { URL: url, OUT: pyOut, IN: pyIn },
    );
    expect(res.refused).toBe(true);
    expect(res.left).toEqual(['from-ts.bin']);
    expect(res.text).toBe('[file] from-ts.bin (application/octet-stream, 600.0 KiB) for python');
    expect(res.line).toMatchObject({
      id: sent.id,
      file: { name: 'from-ts.bin', size: tsBytes.length, sha256: sent.attachment.sha256 },
    });
    expect(readFileSync(res.path as string).equals(tsBytes)).toBe(true);

    const [m] = (await ts.history()).filter((x) => x.id === res.id);
    expect(m?.attachment).toMatchObject({
      name: 'from-py.log',
      type: 'text/plain',
      size: pyBytes.length,
      text: 'from python',
    });
    expect(Buffer.from(await ts.download(m!)).equals(pyBytes)).toBe(true);
  });

  it("each SDK applies the sender's edit and ignores a forged one", async () => {
    const url = roomOn(r.url);
    const ts = new Room(url, { name: 'ts-writer', ...quiet });
    const first = await ts.send('version 1');
    const res = await py(
      `
import os
room = Room(os.environ['URL'], name='py-writer', heartbeat=False)
mine = room.send('py version 1')
room.edit(os.environ['TARGET'], 'forged by python')
room.edit(mine['id'], 'py version 2')
print(json.dumps({'id': mine['id']}))
`,
      { URL: url, TARGET: first.id },
    );
    await ts.edit(res.id as string, 'forged by typescript');
    await ts.edit(first.id, 'version 2');
    const hist = await new Room(url, { name: 'ts-reader', ...quiet }).history();
    expect(hist.map((m) => [m.text, m.edited ?? false])).toEqual([
      ['version 2', true],
      ['py version 2', true],
    ]);
    const stream = await take(new Room(url, { name: 'ts-reader2', ...quiet }).stream({ backlog: true }), 4);
    expect(stream.map((m) => m.text)).toEqual(['version 1', 'py version 1', 'py version 2', 'version 2']);

    const py2 = await py(
      `
import os
room = Room(os.environ['URL'], name='py-reader', heartbeat=False)
print(json.dumps({'hist': [[m.text, m.edited] for m in room.history()]}))
`,
      { URL: url },
    );
    expect(py2.hist).toEqual([
      ['version 2', true],
      ['py version 2', true],
    ]);
  });

  it("a delete for everyone frees the file at the relay from its uploader's Room, in either SDK, and from no one else's", async () => {
    const url = roomOn(r.url);
    const base = `${r.url}/api/rooms/${new URL(url).pathname.split('/')[2]}/blobs`;
    const chunkStatus = async (blobId: string) => (await fetch(`${base}/${blobId}/chunks/0`)).status;
    const ts = new Room(url, { name: 'ts-files', ...quiet });
    const fromTs = await ts.sendFile(randomBytes(2000), { name: 'ts.bin' });
    const before = await r.relay.blobs.totalBytes();
    const res = await py(
      `
import os
room = Room(os.environ['URL'], name='py-files', heartbeat=False)
mine = room.send_file(b'x' * 3000, name='py.bin')
other = room.send_file(b'y' * 1000, name='py2.bin')
room.delete_message(mine['id'])
# Another Room finds the TypeScript file in the transcript, but only its uploader may free it.
fresh = Room(os.environ['URL'], name='py-files2', heartbeat=False)
fresh.delete_message(os.environ['TS_ID'])
print(json.dumps({'mine': mine['attachment']['blob_id'], 'other': other['id'],
                  'other_blob': other['attachment']['blob_id']}))
`,
      { URL: url, TS_ID: fromTs.id },
    );
    expect(await chunkStatus(res.mine as string)).toBe(404);
    expect(await chunkStatus(fromTs.attachment.blob_id)).toBe(200);
    expect(await chunkStatus(res.other_blob as string)).toBe(200);
    // The uploading TypeScript Room frees its own; another one cannot free the Python file.
    await ts.deleteMessage(fromTs.id);
    expect(await chunkStatus(fromTs.attachment.blob_id)).toBe(404);
    await new Room(url, { name: 'ts-files2', ...quiet }).deleteMessage(res.other as string);
    expect(await chunkStatus(res.other_blob as string)).toBe(200);
    // What is left: the Python file nobody else could free (1016 bytes of ciphertext count as 1 KiB).
    expect(await r.relay.blobs.totalBytes()).toBe(before - fromTs.attachment.size - 16 + 1024);
    // Each delete was also posted for the other clients.
    const raw = await new Room(url, { name: 'ts-reader', ...quiet }).history({ includeControl: true });
    expect(raw.filter((m) => m.control?.kind === 'delete')).toHaveLength(4);
  });
});

describe('edits and deletes in the Python SDK under a hostile participant', () => {
  it('a flood of edits naming unknown messages costs a streaming agent at most one transcript read', async () => {
    const url = roomOn(r.url);
    const res = await py(
      `
import os, secrets, threading, time
import bot2bot
url = os.environ['URL']
alice = Room(url, name='alice', heartbeat=False)
draft = alice.send('draft')
for i in range(20):
    alice.send(f'context {i}')
${BOB_COUNTING_READS}
got = []
def run():
    for m in bob.stream():
        if m.edited:
            got.append([m.text, m.edit_of, m.sender])
            bob.close()
            return
t = threading.Thread(target=run, daemon=True)
t.start()
deadline = time.time() + 10
while int(alice.status().get('participants') or 0) < 1 and time.time() < deadline:
    time.sleep(0.05)
# Three bursts a minute apart on the allowance's clock.
real, offset = bot2bot._monotonic, [0.0]
bot2bot._monotonic = lambda: real() + offset[0]
mallory = Room(url, name='mallory', heartbeat=False)
for burst in range(3):
    for i in range(50):
        mallory.edit(secrets.token_urlsafe(12), f'junk {i}')
    offset[0] += 61
mallory.edit(draft['id'], 'forged')
alice.edit(draft['id'], 'final')
t.join(10)
print(json.dumps({'got': got, 'reads': reads[0], 'draft': draft['id']}))
`,
      { URL: url },
    );
    expect(res.got).toEqual([['final', res.draft, 'alice']]);
    expect(res.reads).toBeLessThanOrEqual(1);
  });

  it('edits arriving out of any sequence cost at most the per-minute allowance', async () => {
    const url = roomOn(r.url);
    const res = await py(
      `
import os, secrets, time
from bot2bot import _b64
from nacl.utils import random as nacl_random
url = os.environ['URL']
alice = Room(url, name='alice', heartbeat=False)
for i in range(5):
    alice.send(f'context {i}')
${BOB_COUNTING_READS}
consumed = []
for i in range(200):
    env = {'bot2bot_edit_v1': True, 'bot2bot_adopt_v1': True, 'target_id': secrets.token_urlsafe(12), 'text': 'junk'}
    nonce = nacl_random(24)
    ct = bob._box.encrypt(json.dumps(env).encode(), nonce).ciphertext
    msg = bob._decode({'seq': 100 + i * 10, 'id': secrets.token_urlsafe(12), 'sender': 'mallory',
                       'ciphertext': _b64(ct), 'nonce': _b64(nonce), 'ts': int(time.time() * 1000)})
    consumed.append(bob._consume_control(msg))
print(json.dumps({'reads': reads[0], 'consumed': all(consumed)}))
`,
      { URL: url },
    );
    expect(res.consumed).toBe(true);
    expect(res.reads).toBeGreaterThan(0);
    expect(res.reads).toBeLessThanOrEqual(8);
  });

  it('history leaves deleted messages out and shows the newest edit, also after the page', async () => {
    const url = roomOn(r.url);
    const ts = new Room(url, { name: 'alice', ...quiet });
    const a = await ts.send('one');
    const b = await ts.send('two');
    await ts.send('three');
    await ts.deleteMessage(b.id);
    await ts.edit(a.id, 'one, edited');
    const res = await py(
      `
import os
url, after = os.environ['URL'], int(os.environ['AFTER'])
h = lambda **k: [[m.text, m.edited] for m in Room(url, name='py-reader', heartbeat=False).history(**k)]
print(json.dumps({'all': h(), 'first': h(limit=1), 'second': h(after=after, limit=1), 'last': h(last=3)}))
`,
      { URL: url, AFTER: String(a.seq) },
    );
    expect(res.all).toEqual([
      ['one, edited', true],
      ['three', false],
    ]);
    expect(res.first).toEqual([['one, edited', true]]);
    expect(res.second).toEqual([]);
    expect(res.last).toEqual([['three', false]]);
  });
});
