/**
 * A small, safe markdown parser (reference-client.md §5.5, with its recommended fixes). It
 * produces a tree of plain data; `Markdown.tsx` turns it into React elements, so user text only
 * ever reaches the DOM as text nodes: there is no HTML path at all.
 */
export type Inline =
  | { t: 'text'; v: string }
  | { t: 'code'; v: string }
  | { t: 'strong'; c: Inline[] }
  | { t: 'em'; c: Inline[] }
  | { t: 'link'; href: string; c: Inline[] }
  | { t: 'mention'; v: string }
  | { t: 'br' };

export type Block =
  | { t: 'p'; c: Inline[] }
  | { t: 'pre'; v: string; lang: string }
  | { t: 'ul'; items: Inline[][] }
  | { t: 'ol'; items: Inline[][] }
  | { t: 'quote'; c: Inline[] };

const FENCE = /^\s*```(.*)$/;
const UL = /^\s*[-*]\s+(.*)$/;
const OL = /^\s*\d+[.)]\s+(.*)$/;
const QUOTE = /^>\s?(.*)$/;

export function parseMarkdown(src: string): Block[] {
  const lines = src.replace(/\r\n?/g, '\n').split('\n');
  const out: Block[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length) out.push({ t: 'p', c: parseInlineLines(para) });
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    if (fence) {
      flush();
      const body: string[] = [];
      i++;
      while (i < lines.length && !FENCE.test(lines[i]!)) body.push(lines[i++]!);
      out.push({ t: 'pre', v: body.join('\n'), lang: (fence[1] ?? '').trim().slice(0, 20) });
      continue;
    }
    const list = UL.test(line) ? UL : OL.test(line) ? OL : null;
    if (list) {
      flush();
      const items: Inline[][] = [];
      while (i < lines.length && list.test(lines[i]!)) items.push(parseInline(list.exec(lines[i++]!)![1]!));
      i--;
      out.push({ t: list === UL ? 'ul' : 'ol', items });
      continue;
    }
    const q = QUOTE.exec(line);
    if (q) {
      flush();
      const body: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i]!)) body.push(QUOTE.exec(lines[i++]!)![1]!);
      i--;
      out.push({ t: 'quote', c: parseInlineLines(body) });
      continue;
    }
    if (line.trim() === '') flush();
    else para.push(line);
  }
  flush();
  return out;
}

function parseInlineLines(lines: string[]): Inline[] {
  const out: Inline[] = [];
  lines.forEach((l, i) => {
    if (i > 0) out.push({ t: 'br' });
    out.push(...parseInline(l));
  });
  return out;
}

/**
 * Only absolute http(s) and mailto links, or same-origin paths starting with a single `/`.
 * Everything else (javascript:, data:, `//host`, relative junk) renders as plain text.
 */
export function safeHref(raw: string): string | null {
  const href = raw.trim();
  if (/^\/(?![/\\])/.test(href)) return href;
  let u: URL;
  try {
    u = new URL(href);
  } catch {
    return null;
  }
  if (u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'mailto:') return u.href;
  return null;
}

// Order matters: code spans first so `**` inside code stays literal (a reference quirk fixed).
const INLINE = new RegExp(
  [
    '`([^`\\n]+)`', // 1 code
    '\\[([^\\]\\n]+)\\]\\(([^)\\s]+)\\)', // 2,3 link
    '\\*\\*([^*\\n]+?)\\*\\*', // 4 bold
    '(?<![\\w*])[*_]([^*_\\n]+?)[*_](?![\\w*])', // 5 italic
    '(https?:\\/\\/[^\\s<>"\']+)', // 6 bare URL
    '(?<![\\w@.])@([A-Za-z0-9_-]{1,48})(?![\\w@])', // 7 mention
  ].join('|'),
  'g',
);

export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let last = 0;
  // A fresh regex per call: the recursion below would otherwise clobber a shared lastIndex.
  const re = new RegExp(INLINE.source, 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push({ t: 'text', v: text.slice(last, m.index) });
    last = m.index + m[0].length;
    if (m[1] !== undefined) out.push({ t: 'code', v: m[1] });
    else if (m[2] !== undefined && m[3] !== undefined) {
      const href = safeHref(m[3]);
      out.push(href ? { t: 'link', href, c: parseInline(m[2]) } : { t: 'text', v: m[0] });
    } else if (m[4] !== undefined) out.push({ t: 'strong', c: parseInline(m[4]) });
    else if (m[5] !== undefined) out.push({ t: 'em', c: parseInline(m[5]) });
    else if (m[6] !== undefined) {
      // Trailing punctuation usually ends the sentence, not the URL.
      const url = m[6].replace(/[.,;:!?)\]]+$/, '');
      const rest = m[6].slice(url.length);
      const href = safeHref(url);
      out.push(href ? { t: 'link', href, c: [{ t: 'text', v: url }] } : { t: 'text', v: url });
      if (rest) out.push({ t: 'text', v: rest });
    } else if (m[7] !== undefined) out.push({ t: 'mention', v: m[7] });
  }
  if (last < text.length) out.push({ t: 'text', v: text.slice(last) });
  return out;
}

/** `@token` mentions of `me` (leading `@` ignored), bounded on both sides (no e-mail hits). */
export function mentionsMe(text: string, me: string): boolean {
  const mine = me.replace(/^@/, '').toLowerCase();
  if (!mine) return false;
  const re = /(?<![\w@.])@([A-Za-z0-9_-]{1,48})(?![\w@])/g;
  for (let m = re.exec(text); m; m = re.exec(text)) if (m[1]!.toLowerCase() === mine) return true;
  return false;
}
