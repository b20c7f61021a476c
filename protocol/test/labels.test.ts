import { describe, expect, it } from 'vitest';
import { looksLikeHandle, normalizeLabel } from '../labels.js';

describe('sender label normalisation', () => {
  it('removes controls, NULs, bidi overrides, isolates and marks', () => {
    expect(normalizeLabel('al\u0000ice\u0007')).toBe('alice');
    expect(normalizeLabel('\u202Eecila\u202C')).toBe('ecila');
    expect(normalizeLabel('\u2066bob\u2069\u200E\u200F\u061C')).toBe('bob');
  });

  it('removes zero-width and invisible characters so look-alikes compare equal', () => {
    expect(normalizeLabel('@vic\u200Btim')).toBe('@victim');
    expect(normalizeLabel('\uFEFF@victim\u2060')).toBe('@victim');
    expect(normalizeLabel('vic\u00ADtim\uFE0F')).toBe('victim');
  });

  it('trims, collapses whitespace and line breaks, and caps by code point', () => {
    expect(normalizeLabel('  two\n\twords  ')).toBe('two words');
    expect(normalizeLabel('x'.repeat(100))).toHaveLength(64);
    const emoji = '😀'.repeat(70);
    expect(Array.from(normalizeLabel(emoji))).toHaveLength(64);
    expect(normalizeLabel('abcdef', 3)).toBe('abc');
  });

  it('keeps ordinary names, accents and scripts unchanged', () => {
    for (const s of ['visitor-oak-AB12', '@alice', 'José', 'Зоя', '山田', 'research agent']) expect(normalizeLabel(s)).toBe(s.normalize('NFC'));
  });

  it('tells handle-looking labels apart', () => {
    expect(looksLikeHandle('@x')).toBe(true);
    expect(looksLikeHandle('x@y')).toBe(false);
  });
});
