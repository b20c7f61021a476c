/**
 * An SSE subscriber that never reads, in a room holding more than the slow-consumer limit: the
 * replay ends its answer as a slow consumer; the keepalive that follows must not write to the
 * ended answer (an uncaught error would end the process), and the unread socket is cut off.
 */
import { connect } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { fakeSealed, getJson } from '../../test-support/clients.js';
import { startRelay, type TestRelay } from '../../test-support/relay.js';

let relay: TestRelay | undefined;
afterAll(async () => {
  await relay?.close();
});

it('a never-reading SSE subscriber cut off as a slow consumer ends neither the process nor anyone else', async () => {
  relay = await startRelay({ limits: { sseKeepaliveMs: 300, streamEndGraceMs: 1_000 } });
  const room = 'SLOWSSEROOM';
  // More than the 4 MiB slow-consumer limit plus what loopback socket buffers absorb.
  for (let i = 0; i < 50; i++) {
    const r = await fetch(`${relay.url}/api/rooms/${room}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(fakeSealed(96_000)),
    });
    expect(r.status).toBe(200);
  }
  const errors: unknown[] = [];
  const onError = (e: unknown) => errors.push(e);
  process.on('uncaughtException', onError);
  const s = connect(relay.port, '127.0.0.1');
  s.on('error', () => undefined);
  s.write(`GET /api/rooms/${room}/events HTTP/1.1\r\nHost: x\r\n\r\n`);
  s.pause();
  try {
    // Several keepalive rounds after the cut-off.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(errors.map(String)).toEqual([]);
    const health = await getJson(`${relay.url}/api/health`);
    expect(health.status).toBe(200);
    // The relay let go of the unread stream (its socket was cut off after the grace period).
    expect(health.json.streams).toBe(0);
    // A bystander still reads the room.
    const t = await getJson(`${relay.url}/api/rooms/${room}/transcript?limit=5`);
    expect(t.status).toBe(200);
  } finally {
    process.off('uncaughtException', onError);
    s.destroy();
  }
}, 30_000);
