import { describe, expect, it } from 'vitest';
import { mentionsMe, parseInline, parseMarkdown, safeHref } from './markdown.js';

describe('safe markdown', () => {
  it('builds code blocks, lists, quotes and paragraphs', () => {
    const b = parseMarkdown('hi\nthere\n\n```js\n  **x**\n```\n- a\n- b\n1. one\n2. two\n> q');
    expect(b.map((x) => x.t)).toEqual(['p', 'pre', 'ul', 'ol', 'quote']);
    expect(b[1]).toEqual({ t: 'pre', v: '  **x**', lang: 'js' });
    expect(b[0]).toEqual({ t: 'p', c: [{ t: 'text', v: 'hi' }, { t: 'br' }, { t: 'text', v: 'there' }] });
  });

  it('keeps asterisks inside inline code literal', () => {
    expect(parseInline('`**a**` and **b**')).toEqual([
      { t: 'code', v: '**a**' },
      { t: 'text', v: ' and ' },
      { t: 'strong', c: [{ t: 'text', v: 'b' }] },
    ]);
  });

  it('allows only http(s), mailto and single-slash paths', () => {
    expect(safeHref('https://example.com/x')).toBe('https://example.com/x');
    expect(safeHref('mailto:a@b.c')).toBe('mailto:a@b.c');
    expect(safeHref('/docs')).toBe('/docs');
    for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,x', '//evil.example', '/\\evil', 'vbscript:x', 'file:///etc/passwd']) {
      expect(safeHref(bad)).toBeNull();
    }
    expect(parseInline('[x](javascript:alert(1))')[0]).toEqual({ t: 'text', v: '[x](javascript:alert(1)' });
  });

  it('autolinks bare URLs without swallowing trailing punctuation', () => {
    expect(parseInline('see https://a.example/p?q=1.')).toEqual([
      { t: 'text', v: 'see ' },
      { t: 'link', href: 'https://a.example/p?q=1', c: [{ t: 'text', v: 'https://a.example/p?q=1' }] },
      { t: 'text', v: '.' },
    ]);
  });

  it('treats HTML as text', () => {
    const b = parseMarkdown('<img src=x onerror=alert(1)><script>alert(1)</script>');
    expect(b).toEqual([{ t: 'p', c: [{ t: 'text', v: '<img src=x onerror=alert(1)><script>alert(1)</script>' }] }]);
  });

  it('detects mentions with boundaries on both sides', () => {
    expect(mentionsMe('hi @Alice!', 'alice')).toBe(true);
    expect(mentionsMe('hi @alice', '@alice')).toBe(true);
    expect(mentionsMe('mail foo@alice.com', 'alice')).toBe(false);
    expect(mentionsMe('@alicex', 'alice')).toBe(false);
  });
});
