import { describe, expect, it } from 'vitest';
import { uuid } from '../uuid.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuid', () => {
  it('mints RFC 4122 version-4 ids, unique across several refills of its random pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const id = uuid();
      expect(id).toMatch(V4);
      seen.add(id);
    }
    expect(seen.size).toBe(5000);
  });

  it('uses every hex digit in the random positions (the nibbles are not stuck)', () => {
    const digits = new Set<string>();
    for (let i = 0; i < 200; i++) for (const ch of uuid().replace(/-/g, '')) digits.add(ch);
    expect(digits.size).toBe(16);
  });
});
