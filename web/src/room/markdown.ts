/**
 * Message markdown: markdown-it (CommonMark plus GFM tables and strikethrough) turned into a small
 * tree of plain data. `Markdown.tsx` maps that tree to React elements, so user text only ever
 * reaches the DOM as text nodes: raw HTML is off, images are off, and links are allow-listed.
 *
 * Every message costs a bounded, linear amount of work. A message arrives as a preview: at most
 * `previewChars` of it, parsed under a small token budget, so that parsing, React and layout
 * together stay well inside one frame budget whatever it contains. The whole message is formatted
 * only when the reader asks, under a larger budget. Past a budget, or nested past the depth cap,
 * a message is shown as plain text.
 */
import markdownit, { type Env, type MarkdownIt, type Token } from 'markdown-it';
import { linkLabel } from './linkLabel.js';

export const MARKDOWN_LIMITS = {
  /** Characters of a message formatted on arrival; the rest behind "Show all". */
  previewChars: 4 * 1024,
  /** Parser tokens (about one per element or text run) of a preview. */
  previewTokens: 1500,
  /** Longer messages are only ever shown as plain text. */
  maxChars: 32 * 1024,
  /** Parser tokens of a whole message. */
  maxTokens: 8000,
  /** Nested elements, block and inline together. */
  maxDepth: 24,
} as const;

export type ElTag =
  'p' | 'strong' | 'em' | 's' | 'ul' | 'li' | 'blockquote' | 'table' | 'thead' | 'tbody' | 'tr';
export type Align = 'left' | 'center' | 'right';

export type MdNode =
  | { t: 'text'; v: string }
  | { t: 'mention'; v: string }
  | { t: 'code'; v: string }
  | { t: 'pre'; v: string; lang: string }
  | { t: 'br' }
  | { t: 'hr' }
  | { t: 'check'; on: boolean }
  | { t: 'el'; tag: ElTag; c: MdNode[] }
  | { t: 'h'; level: 1 | 2 | 3 | 4 | 5 | 6; c: MdNode[] }
  | { t: 'ol'; start: number; c: MdNode[] }
  | { t: 'cell'; head: boolean; align: Align | null; c: MdNode[] }
  /** `host`: the real target, shown beside a label that names another host. */
  | { t: 'link'; href: string; host: string | null; c: MdNode[] };

/** `complete`: false when this is a preview and the message has more to show. */
export type Rendered =
  | { kind: 'md'; nodes: MdNode[]; complete: boolean }
  | { kind: 'plain'; text: string; complete: boolean; why: 'long' | 'complex' | 'deep' };

/** Only absolute http(s) and mailto links; everything else (javascript:, data:, relative) is text. */
export function safeHref(raw: string): string | null {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return null;
  }
  if (u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'mailto:') return u.href;
  return null;
}

const ALLOWED_SCHEME = /^(?:https?|mailto):/i;

class OverBudget extends Error {}

interface BudgetEnv extends Env {
  tokensLeft: number;
}

function spend(env: Env): void {
  const e = env as BudgetEnv;
  if (--e.tokensLeft < 0) throw new OverBudget();
}

function createParser(): MarkdownIt {
  const md = new markdownit('default', {
    html: false,
    linkify: true,
    breaks: true,
    typographer: false,
    // Deeper block nesting is cut by markdown-it; the tree's own cap (below it) turns that into
    // the plain-text fallback rather than a message that silently loses its tail.
    maxNesting: MARKDOWN_LIMITS.maxDepth + 8,
  });
  md.disable('image');
  // Called for every link candidate, so a cheap scheme test here (a failed `new URL` throws, which
  // is slow); the tree builder still runs `safeHref` on every link that makes it through.
  md.validateLink = (url) => ALLOWED_SCHEME.test(url);
  // Bare links only with an explicit scheme, as people write them; no guessing at `word.word`.
  md.linkify.set({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false }).add('ftp:', null).add('//', null);
  // Every token a block or inline rule emits is charged to the message's budget, so an input that
  // expands (a wide table header over many short rows, thousands of delimiters) stops early.
  const Block = md.block.State;
  md.block.State = class extends Block {
    override push(type: string, tag: string, nesting: -1 | 0 | 1): Token {
      spend(this.env);
      return super.push(type, tag, nesting);
    }
  };
  const Inline = md.inline.State;
  md.inline.State = class extends Inline {
    override push(type: string, tag: string, nesting: -1 | 0 | 1): Token {
      spend(this.env);
      return super.push(type, tag, nesting);
    }
    override pushPending(): Token {
      spend(this.env);
      return super.pushPending();
    }
  };
  return md;
}

let parser: MarkdownIt | null = null;

/**
 * A message as a tree, or as plain text when it is too long, too large or too deep to format.
 * Without `whole`, only a preview: a prefix of the message under the preview budget.
 */
export function renderMarkdown(text: string, whole = false): Rendered {
  if (whole) {
    if (text.length > MARKDOWN_LIMITS.maxChars) return { kind: 'plain', text, complete: true, why: 'long' };
    return parseWithin(text, MARKDOWN_LIMITS.maxTokens, true);
  }
  // A prefix that does not fit the budget is halved (each try stops at the budget, so the total
  // stays a small multiple of it); a message that never fits shows its start as plain text.
  let prefix = cutPrefix(text, MARKDOWN_LIMITS.previewChars);
  for (;;) {
    const complete = prefix.length === text.length;
    const r = parseWithin(prefix, MARKDOWN_LIMITS.previewTokens, complete);
    if (r.kind === 'md' || r.why === 'deep' || prefix.length <= 1024) return r;
    prefix = cutPrefix(prefix, prefix.length >> 1);
  }
}

function parseWithin(text: string, maxTokens: number, complete: boolean): Rendered {
  parser ??= createParser();
  const env: BudgetEnv = { tokensLeft: maxTokens };
  let tokens: Token[];
  try {
    tokens = parser.parse(text, env);
  } catch (e) {
    if (e instanceof OverBudget) return { kind: 'plain', text, complete, why: 'complex' };
    throw e;
  }
  // Linkify adds tokens of its own after the rules above; count once more over the result.
  let count = 0;
  for (const t of tokens) count += 1 + (t.children?.length ?? 0);
  if (count > maxTokens * 2) return { kind: 'plain', text, complete, why: 'complex' };
  const nodes = buildTree(tokens);
  return nodes ? { kind: 'md', nodes, complete } : { kind: 'plain', text, complete, why: 'deep' };
}

const WARM_UP =
  '# a\n\n| b | c |\n|:-|-:|\n| `d` | **e** ~~f~~ _g_ |\n\n- [x] [h](https://i.example) https://j.example @k [l](\n  2. m\n\n> n\n\n```\no\n```\n\n---\n';

/**
 * One round of parsing a sample that uses every rule. A few rounds while the room is idle compile
 * the parser and let the engine optimise it, so the first real message does not pay for that.
 */
export function warmUpMarkdown(): void {
  renderMarkdown(WARM_UP.repeat(4), true);
}

/** At most `max` characters, ending at a line break when one is near, never inside a surrogate pair. */
export function cutPrefix(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const nl = text.lastIndexOf('\n', end);
  if (nl > max * 0.75) end = nl;
  else if (/[\uD800-\uDBFF]/.test(text[end - 1] ?? '')) end--;
  return text.slice(0, end);
}

interface Frame {
  /** null: a container whose children go to the parent (a link whose target is not allowed). */
  node: Extract<MdNode, { c: MdNode[] }> | null;
  c: MdNode[];
}

/** markdown-it's flat open/close token stream as a tree; null when it nests past the cap. */
function buildTree(tokens: Token[]): MdNode[] | null {
  const root: Frame = { node: null, c: [] };
  const stack: Frame[] = [root];
  let inLink = 0;
  const top = () => stack[stack.length - 1]!;
  const open = (node: Frame['node']): boolean => {
    if (stack.length > MARKDOWN_LIMITS.maxDepth) return false;
    const f: Frame = { node, c: node ? node.c : [] };
    if (node) top().c.push(node);
    stack.push(f);
    return true;
  };
  const close = () => {
    const f = stack.pop()!;
    if (!f.node) top().c.push(...f.c);
    else if (f.node.t === 'el' && f.node.tag === 'li') markTask(f.node);
    else if (f.node.t === 'link') {
      inLink--;
      const label = linkLabel(plainText(f.node.c), f.node.href);
      if (label.kind === 'href') f.node.c = [{ t: 'text', v: f.node.href }];
      else if (label.kind === 'host') f.node.host = label.host;
    }
  };

  const walk = (list: Token[]): boolean => {
    for (const tok of list) {
      const t = tok.type;
      if (tok.nesting === -1) {
        if (!tok.hidden && stack.length > 1) close();
        continue;
      }
      if (tok.nesting === 1) {
        const node = openNode(tok);
        if (node === 'skip') continue;
        if (node && node.t === 'link') inLink++;
        if (!open(node)) return false;
        continue;
      }
      switch (t) {
        case 'inline':
          if (tok.children && !walk(tok.children)) return false;
          break;
        case 'text':
          pushText(top().c, tok.content, inLink > 0);
          break;
        case 'code_inline':
          top().c.push({ t: 'code', v: tok.content });
          break;
        case 'softbreak':
        case 'hardbreak':
          top().c.push({ t: 'br' });
          break;
        case 'fence':
        case 'code_block':
          top().c.push({
            t: 'pre',
            v: tok.content.replace(/\n$/, ''),
            lang: tok.info.trim().split(/\s/, 1)[0]!.slice(0, 20),
          });
          break;
        case 'hr':
          top().c.push({ t: 'hr' });
          break;
        default:
          // Anything else that carries text (html_* cannot occur with html off) stays text.
          if (tok.content) pushText(top().c, tok.content, true);
      }
    }
    return true;
  };
  if (!walk(tokens)) return null;
  while (stack.length > 1) close();
  return root.c;
}

/** The node a markdown-it opening token stands for; 'skip' for tight lists' hidden paragraphs. */
function openNode(tok: Token): Frame['node'] | 'skip' {
  switch (tok.type) {
    case 'paragraph_open':
      return tok.hidden ? 'skip' : { t: 'el', tag: 'p', c: [] };
    case 'heading_open': {
      const n = Number(tok.tag.slice(1));
      return { t: 'h', level: (n >= 1 && n <= 6 ? n : 6) as 1 | 2 | 3 | 4 | 5 | 6, c: [] };
    }
    case 'bullet_list_open':
      return { t: 'el', tag: 'ul', c: [] };
    case 'ordered_list_open': {
      const start = Number(tok.attrGet('start') ?? 1);
      return { t: 'ol', start: Number.isSafeInteger(start) ? start : 1, c: [] };
    }
    case 'list_item_open':
      return { t: 'el', tag: 'li', c: [] };
    case 'blockquote_open':
      return { t: 'el', tag: 'blockquote', c: [] };
    case 'table_open':
      return { t: 'el', tag: 'table', c: [] };
    case 'thead_open':
      return { t: 'el', tag: 'thead', c: [] };
    case 'tbody_open':
      return { t: 'el', tag: 'tbody', c: [] };
    case 'tr_open':
      return { t: 'el', tag: 'tr', c: [] };
    case 'th_open':
    case 'td_open':
      return { t: 'cell', head: tok.type === 'th_open', align: alignOf(tok), c: [] };
    case 'strong_open':
      return { t: 'el', tag: 'strong', c: [] };
    case 'em_open':
      return { t: 'el', tag: 'em', c: [] };
    case 's_open':
      return { t: 'el', tag: 's', c: [] };
    case 'link_open': {
      const href = safeHref(String(tok.attrGet('href') ?? ''));
      return href ? { t: 'link', href, host: null, c: [] } : null;
    }
    default:
      return null;
  }
}

function alignOf(tok: Token): Align | null {
  const style = String(tok.attrGet('style') ?? '');
  return style.endsWith('left')
    ? 'left'
    : style.endsWith('center')
      ? 'center'
      : style.endsWith('right')
        ? 'right'
        : null;
}

/** GitHub task lists: an item that starts with `[ ]` or `[x]` gets a read-only checkbox. */
function markTask(li: Extract<MdNode, { t: 'el' }>): void {
  let holder = li.c;
  const first = holder[0];
  if (first && first.t === 'el' && first.tag === 'p') holder = first.c;
  const head = holder[0];
  if (!head || head.t !== 'text') return;
  const m = /^\[([ xX])\](?:\s|$)/.exec(head.v);
  if (!m) return;
  const rest = head.v.slice(m[0].length);
  holder.splice(0, 1, { t: 'check', on: m[1] !== ' ' }, ...(rest ? [{ t: 'text' as const, v: rest }] : []));
}

function plainText(nodes: MdNode[]): string {
  let s = '';
  for (const n of nodes) {
    if (n.t === 'text' || n.t === 'code') s += n.v;
    else if (n.t === 'mention') s += '@' + n.v;
    else if ('c' in n) s += plainText(n.c);
  }
  return s;
}

const MENTION = /(?<![\w@.])@([A-Za-z0-9_-]{1,48})(?![\w@])/g;

function pushText(out: MdNode[], v: string, literal: boolean): void {
  if (!v) return;
  const last = out[out.length - 1];
  if (literal || !v.includes('@')) {
    if (last && last.t === 'text') last.v += v;
    else out.push({ t: 'text', v });
    return;
  }
  let at = 0;
  for (const m of v.matchAll(MENTION)) {
    if (m.index > at) pushText(out, v.slice(at, m.index), true);
    out.push({ t: 'mention', v: m[1]! });
    at = m.index + m[0].length;
  }
  if (at < v.length) pushText(out, v.slice(at), true);
}

/** `@token` mentions of `me` (leading `@` ignored), bounded on both sides (no e-mail hits). */
export function mentionsMe(text: string, me: string): boolean {
  const mine = me.replace(/^@/, '').toLowerCase();
  if (!mine) return false;
  for (const m of text.matchAll(MENTION)) if (m[1]!.toLowerCase() === mine) return true;
  return false;
}
