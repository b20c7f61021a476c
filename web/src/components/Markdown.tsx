import { memo, useEffect, useMemo, useState } from 'react';
import { renderMarkdown, warmUpMarkdown, type MdNode } from '../room/markdown.js';
import { charged, formatLater, mayFormatNow } from '../room/markdownLane.js';
import '../styles/markdown.css';

/**
 * Renders a message's markdown tree as React elements: user text only ever becomes text nodes.
 * A long or heavy message arrives as a bounded preview with a button that shows all of it.
 */
export const Markdown = memo(function Markdown({ text, me }: { text: string; me?: string }) {
  const [whole, setWhole] = useState(false);
  // Past this task's formatting budget, plain text now and the formatted message a little later.
  const [ready, setReady] = useState(mayFormatNow);
  useEffect(() => (ready ? undefined : formatLater(() => setReady(true))), [ready]);
  const r = useMemo(() => (ready ? charged(() => renderMarkdown(text, whole)) : null), [text, whole, ready]);
  if (!r)
    return (
      <p className="md-plain md-pending">
        {text.length > PENDING_CHARS ? `${text.slice(0, PENDING_CHARS)}…` : text}
      </p>
    );
  const body =
    r.kind === 'plain' ? (
      <p
        className="md-plain"
        title={
          r.why === 'long'
            ? 'Shown as plain text: too long to format'
            : 'Shown as plain text: too complex to format'
        }
      >
        {r.text}
      </p>
    ) : (
      nodes(r.nodes, me?.replace(/^@/, '').toLowerCase())
    );
  if (r.complete) return <>{body}</>;
  return (
    <>
      {body}
      <button type="button" className="link-btn md-more" onClick={() => setWhole(true)}>
        Show all ({sizeLabel(text.length)})
      </button>
    </>
  );
});

/** What a message not yet formatted shows: enough to read, little to lay out. */
const PENDING_CHARS = 280;

function sizeLabel(chars: number): string {
  return chars < 10_240
    ? `${(chars / 1024).toFixed(1)} K characters`
    : `${Math.round(chars / 1024)} K characters`;
}

// Compile and optimise the parser in idle time, a round at a time, not on the first message.
if (typeof window !== 'undefined' && 'requestIdleCallback' in window) {
  let rounds = 12;
  const idle = (d: IdleDeadline) => {
    while (rounds > 0 && d.timeRemaining() > 4) {
      warmUpMarkdown();
      rounds--;
    }
    if (rounds > 0) window.requestIdleCallback(idle, { timeout: 1000 });
  };
  window.requestIdleCallback(idle, { timeout: 1000 });
}

function nodes(list: MdNode[], mine: string | undefined): React.ReactNode[] {
  return list.map((n, i) => node(n, i, mine));
}

function node(n: MdNode, key: number, mine: string | undefined): React.ReactNode {
  switch (n.t) {
    case 'text':
      return n.v;
    case 'mention':
      return (
        <span key={key} className={`mention${mine && n.v.toLowerCase() === mine ? ' is-me' : ''}`}>
          @{n.v}
        </span>
      );
    case 'code':
      return <code key={key}>{n.v}</code>;
    case 'pre':
      return (
        <pre key={key} tabIndex={0} aria-label={n.lang ? `${n.lang} code` : 'code block'}>
          <code>{n.v}</code>
        </pre>
      );
    case 'br':
      return <br key={key} />;
    case 'hr':
      return <hr key={key} />;
    case 'check':
      return (
        <input
          key={key}
          type="checkbox"
          className="md-check"
          checked={n.on}
          readOnly
          disabled
          aria-label={n.on ? 'done' : 'not done'}
        />
      );
    case 'h': {
      // Message headings sit below the page's own outline (h1 room, h2 sections).
      const Tag = `h${Math.min(n.level + 2, 6)}` as 'h3' | 'h4' | 'h5' | 'h6';
      return (
        <Tag key={key} className={`md-h md-h${n.level}`}>
          {nodes(n.c, mine)}
        </Tag>
      );
    }
    case 'ol':
      return (
        <ol key={key} start={n.start === 1 ? undefined : n.start}>
          {nodes(n.c, mine)}
        </ol>
      );
    case 'cell': {
      const Tag = n.head ? 'th' : 'td';
      return (
        <Tag key={key} style={n.align ? { textAlign: n.align } : undefined}>
          {nodes(n.c, mine)}
        </Tag>
      );
    }
    case 'link':
      return (
        <a key={key} href={n.href} target="_blank" rel="noopener noreferrer">
          {nodes(n.c, mine)}
          {n.host && <span className="link-host"> ({n.host})</span>}
        </a>
      );
    case 'el':
      if (n.tag === 'table') {
        // Wide tables scroll inside the bubble; the wrapper is focusable so keyboards can scroll it.
        return (
          <div key={key} className="md-table" tabIndex={0} role="region" aria-label="table">
            <table>{nodes(n.c, mine)}</table>
          </div>
        );
      }
      return el(n.tag, key, nodes(n.c, mine));
  }
}

function el(
  tag: Exclude<Extract<MdNode, { t: 'el' }>['tag'], 'table'>,
  key: number,
  children: React.ReactNode[],
): React.ReactNode {
  const Tag = tag;
  return <Tag key={key}>{children}</Tag>;
}
