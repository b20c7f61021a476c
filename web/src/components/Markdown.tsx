import { memo } from 'react';
import { parseMarkdown, type Block, type Inline } from '../room/markdown.js';

/** Renders the safe markdown tree as React elements: user text only ever becomes text nodes. */
export const Markdown = memo(function Markdown({ text, me }: { text: string; me?: string }) {
  return <>{parseMarkdown(text).map((b, i) => renderBlock(b, i, me))}</>;
});

function renderBlock(b: Block, key: number, me?: string): React.ReactNode {
  switch (b.t) {
    case 'p':
      return <p key={key}>{renderInline(b.c, me)}</p>;
    case 'pre':
      return (
        <pre key={key} tabIndex={0} aria-label={b.lang ? `${b.lang} code` : 'code block'}>
          <code>{b.v}</code>
        </pre>
      );
    case 'ul':
      return <ul key={key}>{b.items.map((it, i) => <li key={i}>{renderInline(it, me)}</li>)}</ul>;
    case 'ol':
      return <ol key={key}>{b.items.map((it, i) => <li key={i}>{renderInline(it, me)}</li>)}</ol>;
    case 'quote':
      return <blockquote key={key}>{renderInline(b.c, me)}</blockquote>;
  }
}

function renderInline(nodes: Inline[], me?: string): React.ReactNode[] {
  const mine = me?.replace(/^@/, '').toLowerCase();
  return nodes.map((n, i) => {
    switch (n.t) {
      case 'text':
        return n.v;
      case 'br':
        return <br key={i} />;
      case 'code':
        return <code key={i}>{n.v}</code>;
      case 'strong':
        return <strong key={i}>{renderInline(n.c, me)}</strong>;
      case 'em':
        return <em key={i}>{renderInline(n.c, me)}</em>;
      case 'link':
        return (
          <a key={i} href={n.href} target="_blank" rel="noopener noreferrer">
            {renderInline(n.c, me)}
          </a>
        );
      case 'mention':
        return (
          <span key={i} className={`mention${mine && n.v.toLowerCase() === mine ? ' is-me' : ''}`}>
            @{n.v}
          </span>
        );
    }
  });
}
