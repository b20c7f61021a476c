/**
 * What retained messages cost a major GC: 200 full rooms (400,000 messages) held the way the
 * baseline holds them (an object and its strings) and the way the relay's MessageLog holds them
 * (frame bytes in room chunks, numbers in a typed ring), then full collections timed.
 *
 * Run: `node --expose-gc --import tsx bench/gc-retention.ts [objects|log] [rooms]`
 * One layout per process, so neither inherits the other's heap.
 */
import { performance } from 'node:perf_hooks';
import { LIMITS } from '../protocol/index.js';
import { messageFrame } from '../relay/rooms/messageFrame.js';
import { MessageLog } from '../relay/rooms/messageLog.js';
import type { StoredMessage } from '../relay/rooms/types.js';
import { uuid } from '../relay/uuid.js';
import { ciphertext, nonce } from './lib/payload.js';

const layout = process.argv[2] ?? 'log';
const rooms = Number(process.argv[3] ?? 200);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc || (layout !== 'objects' && layout !== 'log') || !(rooms > 0)) {
  console.error('usage: node --expose-gc --import tsx bench/gc-retention.ts [objects|log] [rooms]');
  process.exit(2);
}

const perRoom = LIMITS.replayMaxMessages;
const held: unknown[] = [];
const logs = Array.from({ length: rooms }, () => new MessageLog());
const t0 = Date.now();
for (let i = 0; i < perRoom; i++) {
  for (let r = 0; r < rooms; r++) {
    // As a post arrives: a body parsed from JSON, so its strings are the parser's own.
    const body = JSON.parse(
      JSON.stringify({ sender: 'agent', ciphertext: ciphertext(r, i), nonce: nonce() }),
    ) as { sender: string; ciphertext: string; nonce: string };
    const m: StoredMessage = {
      seq: t0 + i,
      id: uuid(),
      sender: body.sender,
      sender_verified: false,
      ciphertext: body.ciphertext,
      nonce: body.nonce,
      ts: t0 + i,
    };
    if (layout === 'objects') held.push(m);
    else logs[r]!.push(m, Buffer.from(messageFrame(m)));
  }
}

const pauses: number[] = [];
for (let k = 0; k < 5; k++) {
  const t = performance.now();
  gc();
  pauses.push(performance.now() - t);
}
const mem = process.memoryUsage();
const mb = (n: number) => (n / 2 ** 20).toFixed(0);
console.log(
  `${layout}: ${rooms * perRoom} messages; full GC ${pauses.map((p) => p.toFixed(1)).join(', ')} ms; ` +
    `heap used ${mb(mem.heapUsed)} MiB, outside the heap ${mb(mem.external)} MiB` +
    (layout === 'objects' ? ` (${held.length} held)` : ` (${logs.reduce((a, l) => a + l.length, 0)} held)`),
);
