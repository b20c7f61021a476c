import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../protocol/index.js';
import { messageFrame, parseMessageFrame } from '../rooms/messageFrame.js';

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
