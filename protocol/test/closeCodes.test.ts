/**
 * The close codes are wire values clients act on: renaming a constant is fine, changing a
 * number breaks every deployed client.
 */
import { describe, expect, it } from 'vitest';
import { WS_CLOSE } from '../index.js';

describe('WebSocket close codes', () => {
  it('keep their wire values', () => {
    expect(WS_CLOSE).toEqual({
      normal: 1000,
      goingAway: 1001,
      policyViolation: 1008,
      internalError: 1011,
      tryAgainLater: 1013,
      livenessTimeout: 4000,
    });
  });

  it('are each either a standard code or in the private range, and distinct', () => {
    const codes = Object.values(WS_CLOSE);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes)
      expect(
        c >= 1000 && c <= 1015 ? 'standard' : c >= 4000 && c <= 4999 ? 'private' : `out of range: ${c}`,
      ).toMatch(/^(standard|private)$/);
  });
});
