import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AccessLog } from '../http/accessLog.js';

function sink(): { out: Writable; writes: string[] } {
  const writes: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      writes.push(chunk.toString());
      done();
    },
  });
  return { out, writes };
}

describe('AccessLog', () => {
  it('writes one line per request, in order, in one batch per flush', async () => {
    const { out, writes } = sink();
    const log = new AccessLog(out);
    log.line('POST', '/api/rooms/:roomId/messages');
    log.line('GET', '/api/rooms/:roomId/wait');
    log.line('POST', '/api/rooms/:roomId/messages');
    expect(writes).toEqual([]);
    log.flush();
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual([
      'POST /api/rooms/:roomId/messages\nGET /api/rooms/:roomId/wait\nPOST /api/rooms/:roomId/messages\n',
    ]);
    log.flush();
    expect(writes).toHaveLength(1);
  });

  it('flushes on its own once the batch is full, and after a short delay otherwise', async () => {
    const { out, writes } = sink();
    const log = new AccessLog(out);
    for (let i = 0; i < 2048; i++) log.line('GET', '/api/health');
    await new Promise((r) => setImmediate(r));
    expect(writes).toHaveLength(1);
    expect(writes[0]!.split('\n')).toHaveLength(2049);
    log.line('DELETE', '/api/x');
    await new Promise((r) => setTimeout(r, 300));
    expect(writes[1]).toBe('DELETE /api/x\n');
  });
});
