/** Shared helpers for agent tests: temp dirs, room links on a test relay, and waiting. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WEB_CLIENT, mintRoom, parseRoomLink, sealText } from '../../protocol/index.js';
import { WsClient } from '../../test-support/clients.js';

export function tempDir(prefix = 'b2b-agent-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export function roomOn(base: string): string {
  return mintRoom(base).url;
}

export async function until<T>(
  fn: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function take<T>(it: AsyncIterator<T>, n: number, timeoutMs = 10_000): Promise<T[]> {
  const out: T[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`got ${out.length} of ${n} items`);
    const r = await Promise.race([
      it.next(),
      new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), left)),
    ]);
    if (r === 'timeout') throw new Error(`got ${out.length} of ${n} items before timeout`);
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

/**
 * A person in the web app, as the relay sees one: a WebSocket that says hello with
 * `client: "web"` (resolved once the room's presence lists it so) and posts sealed text.
 */
export async function webHuman(
  url: string,
  name: string,
): Promise<{ say(text: string): void; close(): Promise<void> }> {
  const link = parseRoomLink(url);
  if (!link.ok) throw new Error(link.message);
  const u = new URL(url);
  const browser = new WsClient(
    `${u.protocol === 'https:' ? 'wss' : 'ws'}://${u.host}/api/rooms/${link.link.roomId}/ws`,
  );
  await browser.opened;
  browser.send({ type: 'hello', name, client: WEB_CLIENT });
  await browser.next(
    (f) =>
      f.type === 'presence' &&
      (f.participants as Array<{ name: string; client?: string }>).some(
        (p) => p.name === name && p.client === WEB_CLIENT,
      ),
  );
  return {
    say: (text) => browser.send({ ...sealText(text, link.link.key), sender: name }),
    close: () => browser.close(),
  };
}
