import { describe, expect, it } from 'vitest';
import { BlobSecrets } from '../sdk/blobSecrets.js';

describe('delete secrets of uploaded files', () => {
  it('are kept until freed, and dropped once the relay would have dropped the file anyway', () => {
    const s = new BlobSecrets();
    s.keep('a', 'secret-a', 1000, 0);
    s.keep('b', 'secret-b', 5000, 0);
    expect(s.get('a')).toBe('secret-a');
    s.forget('b');
    expect(s.get('b')).toBeUndefined();
    // A later upload sweeps the expired ones out.
    s.keep('c', 'secret-c', 9000, 2000);
    expect(s.get('a')).toBeUndefined();
    expect(s.get('c')).toBe('secret-c');
  });

  it('hold a bounded number, oldest dropped first', () => {
    const s = new BlobSecrets();
    for (let i = 0; i < 10_001; i++) s.keep(`b${i}`, `s${i}`, 1e12, 0);
    expect(s.get('b0')).toBeUndefined();
    expect(s.get('b1')).toBe('s1');
    expect(s.get('b10000')).toBe('s10000');
  });
});
