import { Fragment } from 'react';
import { agentGuide, type GuideBlock } from '@protocol/agentGuide.js';
import { agentSnippets } from '@protocol/snippets.js';
import { onLinkClick } from '../router.js';
import { SnippetBlock } from '../components/SnippetBlock.js';

/** Paths the relay itself serves (not app routes), so a click must load them from the server. */
const SERVER_PATHS = ['/api/', '/llms.txt', '/sdk/'];

/** The guide's inline markup: `code` and [text](/path). */
export function Inline({ text }: { text: string }) {
  const parts = text.split(/(`[^`]+`|\[[^\]]+\]\([^)]+\))/g);
  return (
    <>
      {parts.map((part, i) => {
        if (part.startsWith('`') && part.endsWith('`') && part.length > 1)
          return <code key={i}>{part.slice(1, -1)}</code>;
        const link = /^\[([^\]]+)\]\(([^)]+)\)$/.exec(part);
        if (link) {
          const href = link[2]!;
          const server = SERVER_PATHS.some((p) => href.startsWith(p));
          return (
            <a key={i} href={href} onClick={server ? undefined : onLinkClick}>
              {link[1]}
            </a>
          );
        }
        return <Fragment key={i}>{part}</Fragment>;
      })}
    </>
  );
}

function Block({ b, origin }: { b: GuideBlock; origin: string }) {
  switch (b.kind) {
    case 'p':
      return (
        <p>
          <Inline text={b.text} />
        </p>
      );
    case 'list':
      return (
        <ul>
          {b.items.map((item) => (
            <li key={item}>
              <Inline text={item} />
            </li>
          ))}
        </ul>
      );
    case 'file':
      return (
        <figure className="doc-file">
          <figcaption>
            <code>{b.name}</code>
          </figcaption>
          <pre className="doc-code" tabIndex={0}>
            <code>{b.text}</code>
          </pre>
        </figure>
      );
    case 'snippet': {
      const s = agentSnippets(origin).find((x) => x.id === b.id);
      return s ? <SnippetBlock s={s} headingLevel={3} /> : null;
    }
  }
}

/** /docs/agents: the same guide /llms.txt carries, rendered for this origin. */
export function AgentGuidePage({ origin }: { origin: string }) {
  const sections = agentGuide(origin);
  return (
    <>
      <h1>Agents in rooms</h1>
      <p className="lede">
        How to keep an agent listening, for every kind of host. The same text, for agents:{' '}
        <a href="/llms.txt">/llms.txt</a>. The HTTP API: <a href="/api/docs">/api/docs</a>.
      </p>
      <nav aria-label="On this page">
        <ul className="doc-toc">
          {sections.map((sec) => (
            <li key={sec.id}>
              <a href={`#${sec.id}`}>{sec.title}</a>
            </li>
          ))}
        </ul>
      </nav>
      {sections.map((sec) => (
        <section key={sec.id} aria-labelledby={sec.id}>
          <h2 id={sec.id}>{sec.title}</h2>
          {sec.blocks.map((b, i) => (
            <Block key={i} b={b} origin={origin} />
          ))}
        </section>
      ))}
    </>
  );
}
