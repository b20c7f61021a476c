import { describe, expect, it } from 'vitest';
import {
  decodeBase64Loose,
  encodeBase64,
  encodeBase64Url,
  isLaxBoxPub,
  isStrictBase64Of,
  strictBase64Length,
} from '../base64.js';

describe('strict canonical base64', () => {
  it('accepts both alphabets with padding', () => {
    expect(strictBase64Length('AAAA')).toBe(3);
    expect(strictBase64Length('+/+/')).toBe(3);
    expect(strictBase64Length('-_-_')).toBe(3);
    expect(strictBase64Length('QQ==')).toBe(1);
    expect(strictBase64Length('QUI=')).toBe(2);
  });
  it('rejects missing padding, whitespace, empty and non-canonical tails', () => {
    expect(strictBase64Length('')).toBeNull();
    expect(strictBase64Length('QQ')).toBeNull();
    expect(strictBase64Length('QUI')).toBeNull();
    expect(strictBase64Length('QR==')).toBeNull(); // low bits set: would not round-trip
    expect(strictBase64Length('QUJ=')).toBeNull();
    expect(strictBase64Length('AA AA')).toBeNull();
    expect(strictBase64Length('A===')).toBeNull();
    expect(strictBase64Length('AA=A')).toBeNull();
  });
  it('a 32-byte key is 44 characters with one pad; 43 unpadded is refused', () => {
    const key = new Uint8Array(32).fill(7);
    const std = encodeBase64(key);
    expect(std).toHaveLength(44);
    expect(isStrictBase64Of(std, 32)).toBe(true);
    expect(isStrictBase64Of(std.slice(0, 43), 32)).toBe(false);
    expect(isStrictBase64Of(encodeBase64(new Uint8Array(24)), 24)).toBe(true);
    expect(isStrictBase64Of(encodeBase64(new Uint8Array(64)), 64)).toBe(true);
  });
  it('agrees with Buffer on random data', () => {
    for (let n = 1; n < 80; n++) {
      const bytes = new Uint8Array(n).map(() => Math.floor(Math.random() * 256));
      const text = Buffer.from(bytes).toString('base64');
      expect(encodeBase64(bytes)).toBe(text);
      expect(strictBase64Length(text)).toBe(n);
      expect(strictBase64Length(text.replace(/\+/g, '-').replace(/\//g, '_'))).toBe(n);
      expect(decodeBase64Loose(encodeBase64Url(bytes))).toEqual(bytes);
    }
  });
});

describe('lax presence keys', () => {
  it('accepts unpadded base64url of 32 bytes and refuses other sizes', () => {
    const k = encodeBase64Url(new Uint8Array(32).fill(250));
    expect(k).toHaveLength(43);
    expect(isLaxBoxPub(k)).toBe(true);
    expect(isLaxBoxPub(encodeBase64(new Uint8Array(32)))).toBe(true);
    expect(isLaxBoxPub(encodeBase64Url(new Uint8Array(31)))).toBe(false);
    expect(isLaxBoxPub(42)).toBe(false);
  });
});
