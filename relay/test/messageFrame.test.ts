import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../protocol/index.js';
import { messageFrame, parseMessageFrame } from '../rooms/messageFrame.js';
import { incomingOf } from '../rooms/redis/events.js';

const base: StoredMessage = {
  seq: 1_763_800_000_123,
  id: '0b7e4f6e-3f0a-4d8e-9a53-1f2e3d4c5b6a',
  sender: 'agent',
  sender_verified: false,
  ciphertext: 'q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=',
  nonce: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYX',
  ts: 1_763_800_000_456,
};

describe('messageFrame', () => {
  it('is the stored message as JSON with "type":"message" first, field for field', () => {
    const cases: StoredMessage[] = [
      base,
      { ...base, sender: '@alice', sender_verified: true, ttl_ms: 60_000, reply_to: 'a1b2c3' },
      // A free-text label is the one field that can need escaping.
      { ...base, sender: 'quote " back\\slash \n newline \u2028 é \ud83d lone surrogate', reply_to: 'x"y' },
    ];
    for (const m of cases) {
      const frame = messageFrame(m);
      expect(frame).toBe(JSON.stringify({ type: 'message', ...m }));
      expect(JSON.parse(frame)).toEqual({ type: 'message', ...m });
      // Back from the bytes, in wire order and without the frame's `type`.
      const back = parseMessageFrame(Buffer.from(frame));
      expect(back).toEqual(m);
      expect(Object.keys(back)).toEqual(Object.keys(m));
    }
  });
});

describe('a room channel message as a node receives it', () => {
  // The append script publishes `m` + `{"seq":N,` + the fields the node sent after the seq.
  const published = (m: StoredMessage) => Buffer.from('m' + JSON.stringify(m));

  it('becomes the same frame bytes, seq and message as the stored message, without a decode', () => {
    for (const m of [base, { ...base, seq: 7, sender: 'é " \u2028', ttl_ms: 5, reply_to: 'r' }]) {
      const inc = incomingOf(published(m));
      expect(inc?.seq).toBe(m.seq);
      expect(inc?.frame.ws.toString('utf8')).toBe(messageFrame(m));
      expect(inc?.frame.sse.toString('utf8')).toBe(`data: ${messageFrame(m)}\n\n`);
      expect(inc?.frame.json).toBe(messageFrame(m));
      expect(inc?.decode()).toEqual(m);
    }
  });

  it('is ignored when it is not what the script publishes', () => {
    for (const bad of ['m{"seq":,"id":"x"}', 'm{"seq":12', 'm{"seq":1x,"id":"x"}', 'm{"seq":'])
      expect(incomingOf(Buffer.from(bad))).toBeNull();
  });
});
