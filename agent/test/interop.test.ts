import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openText, parseRoomLink, sealText } from '../../protocol/index.js';
import { WsClient } from '../../test-support/clients.js';
import { startRelay, type TestRelay } from '../../test-support/relay.js';
import { Room } from '../sdk/index.js';
import { ROOT } from './cli.js';
import { roomOn, take, tempDir, until } from './helpers.js';

const PYTHON = '/usr/bin/python3';
const PY_SDK = resolve(ROOT, 'agent/python/bot2bot.py');
let r: TestRelay;
const dir = tempDir('b2b-interop-');

function python(args: string[]): { exited: Promise<number | null>; kill: () => void; stderr: () => string } {
  const child = spawn(PYTHON, [PY_SDK, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, HOME: dir.path },
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return {
    exited: new Promise((res) => child.on('close', (c) => res(c))),
    kill: () => child.kill('SIGTERM'),
    stderr: () => err,
  };
}

beforeAll(async () => {
  if (!existsSync(PY_SDK)) throw new Error(`${PY_SDK} is missing`);
  r = await startRelay();
});
afterAll(async () => {
  await r.close();
  dir.cleanup();
});

describe('browser-style client, TypeScript SDK and Python SDK in one room', () => {
  it('every message reaches every other side, decrypted and in order', async () => {
    const url = roomOn(r.url);
    const link = parseRoomLink(url);
    if (!link.ok) throw new Error(link.message);
    const { roomId, key } = link.link;

    const browser = new WsClient(`${r.url.replace('http', 'ws')}/api/rooms/${roomId}/ws`);
    await browser.opened;
    browser.send({ type: 'hello', name: 'browser' });
    const ts = new Room(url, { name: 'ts-agent', onWarning: () => undefined });
    const tsStream = ts.stream();
    const tsFirst = tsStream.next();
    const out = join(dir.path, 'py-tail.jsonl');
    const tail = python([url, '--name', 'py-agent', '--tail', '--out', out]);
    await until(async () => ((await ts.status()).participants ?? 0) >= 3, 15_000, 'three live subscribers');

    const script: Array<[string, string]> = [
      ['browser', 'b1 hello from the browser'],
      ['ts-agent', 't1 hello from TypeScript'],
      ['py-agent', 'p1 hello from Python'],
      ['browser', 'b2 ünïcödé ✓ and\nnewlines'],
      ['ts-agent', 't2 second'],
      ['py-agent', 'p2 second'],
    ];
    for (const [who, text] of script) {
      const before = browser.messages().length;
      if (who === 'browser') browser.send({ ...sealText(text, key), sender: 'browser' });
      else if (who === 'ts-agent') await ts.send(text);
      else {
        const say = python([url, '--name', 'py-agent', '--say', text]);
        expect(await say.exited, say.stderr()).toBe(0);
      }
      // One at a time, so "in order" means the order they were sent.
      await until(() => browser.messages().length > before, 10_000, `relay echo of ${text}`);
    }

    const all = script.map(([who, text]) => ({ sender: who, text }));
    const others = (me: string) => all.filter((m) => m.sender !== me);
    const browserGot = browser
      .messages()
      .map((f) => ({ sender: f.sender, text: openText(f as { ciphertext: string; nonce: string }, key) }));
    expect(browserGot).toEqual(all);

    const first = await tsFirst;
    const tsRest = await take(tsStream, 3);
    expect([first.value!, ...tsRest].map((m) => ({ sender: m.sender, text: m.text }))).toEqual(
      others('ts-agent'),
    );
    await tsStream.return(undefined);

    const pyLines = await until(
      () => {
        const l = existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean) : [];
        return l.length >= 4
          ? l.map((x) => JSON.parse(x) as { sender: string; text: string; is_self: boolean })
          : null;
      },
      10_000,
      'python tail lines',
    );
    tail.kill();
    await tail.exited;
    expect(pyLines.map((l) => ({ sender: l.sender, text: l.text }))).toEqual(others('py-agent'));
    expect(pyLines.every((l) => l.is_self === false)).toBe(true);
    await browser.close();
  });
});
