import { describe, expect, it } from 'vitest';
import { cutPrefix, MARKDOWN_LIMITS, mentionsMe, renderMarkdown, safeHref, type MdNode } from './markdown.js';
import { linkLabel } from './linkLabel.js';

function md(text: string): MdNode[] {
  const r = renderMarkdown(text);
  if (r.kind !== 'md') throw new Error(`expected markdown, got plain (${r.why})`);
  expect(r.complete).toBe(true);
  return r.nodes;
}

const text = (v: string): MdNode => ({ t: 'text', v });
const p = (...c: MdNode[]): MdNode => ({ t: 'el', tag: 'p', c });
const li = (...c: MdNode[]): MdNode => ({ t: 'el', tag: 'li', c });

/** Every node of a tree, depth first. */
function all(nodes: MdNode[]): MdNode[] {
  return nodes.flatMap((n) => [n, ...('c' in n ? all(n.c) : [])]);
}

describe('message markdown', () => {
  it('builds paragraphs with line breaks, fenced code, lists and quotes', () => {
    const b = md('hi\nthere\n\n```js\n  **x**\n```\n- a\n- b\n\n1. one\n2. two\n\n> q');
    expect(b).toEqual([
      p(text('hi'), { t: 'br' }, text('there')),
      { t: 'pre', v: '  **x**', lang: 'js' },
      { t: 'el', tag: 'ul', c: [li(text('a')), li(text('b'))] },
      { t: 'ol', start: 1, c: [li(text('one')), li(text('two'))] },
      { t: 'el', tag: 'blockquote', c: [p(text('q'))] },
    ]);
  });

  it('keeps the number an ordered list starts at', () => {
    expect(md('2. two\n3. three')).toEqual([{ t: 'ol', start: 2, c: [li(text('two')), li(text('three'))] }]);
  });

  it('nests lists and renders task items as read-only checkboxes', () => {
    expect(md('- [ ] todo\n- [x] done\n  - nested ~~gone~~')).toEqual([
      {
        t: 'el',
        tag: 'ul',
        c: [
          li({ t: 'check', on: false }, text('todo')),
          li({ t: 'check', on: true }, text('done'), {
            t: 'el',
            tag: 'ul',
            c: [li(text('nested '), { t: 'el', tag: 's', c: [text('gone')] })],
          }),
        ],
      },
    ]);
  });

  it('renders headings and tables with their alignment', () => {
    const b = md('# Title\n\n| a | b |\n|:-|-:|\n| 1 | **2** |');
    expect(b[0]).toEqual({ t: 'h', level: 1, c: [text('Title')] });
    const cells = all(b).filter((n) => n.t === 'cell');
    expect(cells).toEqual([
      { t: 'cell', head: true, align: 'left', c: [text('a')] },
      { t: 'cell', head: true, align: 'right', c: [text('b')] },
      { t: 'cell', head: false, align: 'left', c: [text('1')] },
      { t: 'cell', head: false, align: 'right', c: [{ t: 'el', tag: 'strong', c: [text('2')] }] },
    ]);
  });

  it('keeps asterisks inside inline code literal', () => {
    expect(md('`**a**` and **b**')).toEqual([
      p({ t: 'code', v: '**a**' }, text(' and '), { t: 'el', tag: 'strong', c: [text('b')] }),
    ]);
  });

  it('treats HTML as text and does not load images', () => {
    expect(md('<img src=x onerror=alert(1)><script>alert(1)</script>')).toEqual([
      p(text('<img src=x onerror=alert(1)><script>alert(1)</script>')),
    ]);
    expect(all(md('![pic](https://a.example/p.png)')).some((n) => n.t === 'text' && n.v === '!')).toBe(true);
  });

  it('allows only http(s) and mailto links', () => {
    expect(safeHref('https://example.com/x')).toBe('https://example.com/x');
    expect(safeHref('mailto:a@b.c')).toBe('mailto:a@b.c');
    for (const bad of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'data:text/html,x',
      '//evil.example',
      '/docs',
      '/\\evil',
      'vbscript:x',
      'file:///etc/passwd',
    ]) {
      expect(safeHref(bad)).toBeNull();
    }
    for (const src of [
      '[x](javascript:alert(1))',
      '[x](JAVASCRIPT:alert(1))',
      '[x](//evil.example)',
      '[x](/docs)',
      '<javascript:alert(1)>',
    ]) {
      expect(all(md(src)).filter((n) => n.t === 'link')).toEqual([]);
    }
  });

  it('autolinks bare URLs with a scheme, without trailing punctuation', () => {
    expect(md('see https://a.example/p?q=1. and www.b.example')).toEqual([
      p(
        text('see '),
        { t: 'link', href: 'https://a.example/p?q=1', host: null, c: [text('https://a.example/p?q=1')] },
        text('. and www.b.example'),
      ),
    ]);
  });

  it('shows the real target when a link label names another URL or host', () => {
    const links = all(
      md(
        '[https://good.example](https://evil.example) [paypal.com](https://evil.example/x) [docs](https://a.example/docs) [https://a.example](https://a.example/)',
      ),
    ).filter((n) => n.t === 'link');
    expect(links).toEqual([
      { t: 'link', href: 'https://evil.example/', host: null, c: [text('https://evil.example/')] },
      { t: 'link', href: 'https://evil.example/x', host: 'evil.example', c: [text('paypal.com')] },
      { t: 'link', href: 'https://a.example/docs', host: null, c: [text('docs')] },
      { t: 'link', href: 'https://a.example/', host: null, c: [text('https://a.example')] },
    ]);
  });

  it('judges link labels', () => {
    expect(linkLabel('www.a.example', 'https://www.a.example/')).toEqual({ kind: 'text' });
    expect(linkLabel('http://a.example', 'https://a.example/')).toEqual({ kind: 'href' });
    expect(linkLabel('see https://a.example', 'https://a.example/')).toEqual({ kind: 'href' });
    expect(linkLabel('a.example docs', 'https://www.a.example/docs')).toEqual({ kind: 'text' });
    expect(linkLabel('README.md', 'https://code.example/r/README.md')).toEqual({
      kind: 'host',
      host: 'code.example',
    });
    expect(linkLabel('ops@a.example', 'mailto:ops@a.example')).toEqual({ kind: 'text' });
    expect(linkLabel('ops@a.example', 'mailto:x@evil.example')).toEqual({
      kind: 'host',
      host: 'x@evil.example',
    });
    expect(linkLabel('version 1.2', 'https://a.example/')).toEqual({ kind: 'text' });
    expect(linkLabel('10.0.0.1', 'https://a.example/')).toEqual({ kind: 'host', host: 'a.example' });
  });

  it('finds mentions in text, not in code or links', () => {
    expect(md('hi @alice, `@bob` [@carol](https://a.example) mail a@b.example')).toEqual([
      p(
        text('hi '),
        { t: 'mention', v: 'alice' },
        text(', '),
        { t: 'code', v: '@bob' },
        text(' '),
        { t: 'link', href: 'https://a.example/', host: null, c: [text('@carol')] },
        text(' mail a@b.example'),
      ),
    ]);
  });

  it('detects mentions with boundaries on both sides', () => {
    expect(mentionsMe('hi @Alice!', 'alice')).toBe(true);
    expect(mentionsMe('hi @alice', '@alice')).toBe(true);
    expect(mentionsMe('mail foo@alice.com', 'alice')).toBe(false);
    expect(mentionsMe('@alicex', 'alice')).toBe(false);
  });
});

describe('long and hostile markdown', () => {
  const L = MARKDOWN_LIMITS;

  it('formats a long message as a preview cut at a line break, and all of it on request', () => {
    const report = Array.from(
      { length: 400 },
      (_, i) => `**Step ${i}**: did \`thing ${i}\` and it worked.`,
    ).join('\n\n');
    expect(report.length).toBeGreaterThan(L.previewChars);
    const preview = renderMarkdown(report);
    expect(preview).toMatchObject({ kind: 'md', complete: false });
    const paras = preview.kind === 'md' ? preview.nodes : [];
    expect(paras.length).toBeGreaterThan(50);
    expect(paras.length).toBeLessThan(400);
    expect(paras.at(-1)).toEqual(
      p(
        { t: 'el', tag: 'strong', c: [text(`Step ${paras.length - 1}:`.replace(':', ''))] },
        text(': did '),
        { t: 'code', v: `thing ${paras.length - 1}` },
        text(' and it worked.'),
      ),
    );
    const whole = renderMarkdown(report, true);
    expect(whole).toMatchObject({ kind: 'md', complete: true });
    expect(whole.kind === 'md' && whole.nodes.length).toBe(400);
  });

  it('cuts previews at a line break when one is near, never inside a surrogate pair', () => {
    expect(cutPrefix('abc', 10)).toBe('abc');
    expect(cutPrefix('aaaaaaa\nbbbb', 9)).toBe('aaaaaaa');
    expect(cutPrefix('a\nbbbbbbbbbbbb', 10)).toBe('a\nbbbbbbbb');
    expect(cutPrefix('aaaa😀bbbb', 5)).toBe('aaaa');
  });

  it('shows over-long messages as plain text, starting with a bounded preview', () => {
    const s = '[a]('.repeat(22_500);
    const preview = renderMarkdown(s);
    expect(preview).toMatchObject({ kind: 'md', complete: false });
    expect(all(preview.kind === 'md' ? preview.nodes : []).filter((n) => n.t === 'link')).toEqual([]);
    expect(renderMarkdown(s, true)).toEqual({ kind: 'plain', text: s, complete: true, why: 'long' });
  });

  it('shows messages that expand into too many elements as plain text, or a smaller formatted start', () => {
    const wide = '|a'.repeat(400) + '\n' + '|-'.repeat(400) + '\n' + '|x\n'.repeat(2_000);
    expect(wide.length).toBeLessThan(L.maxChars);
    expect(renderMarkdown(wide, true)).toEqual({ kind: 'plain', text: wide, complete: true, why: 'complex' });
    // The header row alone is over the preview budget: the preview is a short start of the text.
    const preview = renderMarkdown(wide);
    expect(preview.complete).toBe(false);
    expect(all(preview.kind === 'md' ? preview.nodes : []).length).toBeLessThanOrEqual(L.previewTokens);
    expect(preview.kind === 'plain' ? preview.text.length : 0).toBeLessThanOrEqual(1024);

    const ems = '*a* '.repeat(5_000);
    expect(renderMarkdown(ems, true)).toMatchObject({ kind: 'plain', why: 'complex' });
    const start = renderMarkdown(ems);
    expect(start).toMatchObject({ kind: 'md', complete: false });
    expect(all(start.kind === 'md' ? start.nodes : []).length).toBeLessThanOrEqual(L.previewTokens);
  });

  it('shows messages nested past the cap as plain text, with nothing dropped', () => {
    for (const s of [
      '>'.repeat(200) + ' deep',
      '*'.repeat(300) + 'a' + '*'.repeat(300),
      Array.from({ length: 60 }, (_, i) => '  '.repeat(i) + '- x').join('\n'),
    ]) {
      expect(renderMarkdown(s)).toEqual({ kind: 'plain', text: s, complete: true, why: 'deep' });
      expect(renderMarkdown(s, true)).toEqual({ kind: 'plain', text: s, complete: true, why: 'deep' });
    }
    expect(renderMarkdown('> > > > three quotes deep').kind).toBe('md');
  });

  it('renders unclosed link openers and backtick runs as text', () => {
    const s = '[a]('.repeat(1_000);
    expect(all(md(s)).filter((n) => n.t === 'link')).toEqual([]);
    expect(all(md('`'.repeat(2_001) + 'a' + '``'.repeat(1_000))).filter((n) => n.t === 'code')).toEqual([]);
  });
});
