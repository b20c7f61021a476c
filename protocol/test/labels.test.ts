import { describe, expect, it } from 'vitest';
import { displayLabel, displayText, looksLikeHandle, normalizeLabel } from '../labels.js';

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
    for (const s of ['visitor-oak-AB12', '@alice', 'José', 'Зоя', '山田', 'research agent'])
      expect(normalizeLabel(s)).toBe(s.normalize('NFC'));
  });

  it('tells handle-looking labels apart', () => {
    expect(looksLikeHandle('@x')).toBe(true);
    expect(looksLikeHandle('x@y')).toBe(false);
  });
});

describe('line-oriented display', () => {
  it('marks unverified @names and ✓, and leaves verified and plain labels alone', () => {
    expect(displayLabel('@owner ✓\u202e\u001b[2J', false)).toBe('@owner ✓[2J (unsigned)');
    expect(displayLabel('bob ✓', false)).toBe('bob ✓ (unsigned)');
    expect(displayLabel('@owner', true)).toBe('@owner');
    expect(displayLabel('bob', false)).toBe('bob');
    expect(displayLabel('\u200b', false)).toBe('?');
  });

  it('strips controls and bidi overrides from text and indents every later line', () => {
    expect(displayText('a\u001b]52;c;x\u0007\u009b1m\tb\r\nc\u2028d\u202ee', '  ')).toBe(
      'a]52;c;x1m b\n  c\n  de',
    );
  });
});
