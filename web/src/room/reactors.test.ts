import { describe, expect, it } from 'vitest';
import { OWN_REACTOR, ownAggregatesAs, peerAggregates, reactorKey } from './reactors.js';

describe('reactor keys', () => {
  it('marks unverified handle labels and never doubles the mark', () => {
    expect(reactorKey('@alice', true)).toBe('@alice');
    expect(reactorKey('@alice', false)).toBe('@alice (unsigned)');
    expect(reactorKey('@alice (unsigned)', false)).toBe('@alice (unsigned)');
    expect(reactorKey(' bo\u200bb\n', false)).toBe('bob');
    expect(reactorKey('\u0000you', false)).toBe('you');
  });
  it('reads peer aggregates as unverified claims and sends ours under our name', () => {
    expect(peerAggregates({ '👍': ['@bob', 'carol', 7 as unknown as string, '\u0000you'] })).toEqual({
      '👍': ['@bob (unsigned)', 'carol', 'you'],
    });
    expect(ownAggregatesAs({ m: { '👍': [OWN_REACTOR, 'carol'] } }, 'alice')).toEqual({
      m: { '👍': ['alice', 'carol'] },
    });
  });
});
