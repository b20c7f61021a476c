import { describe, expect, it } from 'vitest';
import { plainText } from './plainText.js';

describe('plainText', () => {
  it('drops markdown syntax and keeps what a reader sees', () => {
    expect(plainText('**bold** and _em_ with `code` and [a link](https://example.com)')).toBe(
      'bold and em with code and a link',
    );
    expect(plainText('> quoted\n\n- one\n- two')).toBe('quoted one two');
    expect(plainText('hello **@bob** are you there?')).toBe('hello @bob are you there?');
    expect(plainText('```\nconst x = 1;\n```')).toBe('const x = 1;');
  });
  it('cuts long text with an ellipsis', () => {
    expect(plainText('word '.repeat(100), 20)).toBe('word word word word…');
  });
});
