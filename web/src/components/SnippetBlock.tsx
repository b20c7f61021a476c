import { useState } from 'react';
import type { Snippet } from '@protocol/snippets.js';
import { copyText } from '../clipboard.js';

/**
 * One agent snippet, shown in full before it is copied: title, what it is for, the exact text,
 * a Copy button and what to tell the agent afterwards. Where the clipboard is blocked the text is
 * selected so it can be copied by hand.
 */
export function SnippetBlock({
  s,
  headingLevel = 3,
  onCopied,
}: {
  s: Snippet;
  headingLevel?: 2 | 3 | 4;
  onCopied?: (title: string) => void;
}) {
  const [state, setState] = useState<'idle' | 'copied' | 'blocked'>('idle');
  const codeId = `snippet-${s.id}`;
  const Heading = `h${headingLevel}` as const;
  const copy = async (pre: HTMLElement | null) => {
    if (await copyText(s.text)) {
      setState('copied');
      onCopied?.(s.title);
      setTimeout(() => setState('idle'), 2000);
      return;
    }
    setState('blocked');
    if (pre) {
      const range = document.createRange();
      range.selectNodeContents(pre);
      const sel = window.getSelection();
      sel?.removeAllRanges();
      sel?.addRange(range);
      pre.focus();
    }
  };
  return (
    <section className="snippet" aria-labelledby={`${codeId}-title`} data-snippet={s.id}>
      <div className="snippet-head">
        <div>
          <Heading id={`${codeId}-title`} className="snippet-title">
            {s.title}
          </Heading>
          <p className="snippet-sub">{s.sub}</p>
        </div>
        <button
          type="button"
          className="btn btn-small"
          aria-label={`Copy: ${s.title}`}
          onClick={(e) => void copy(e.currentTarget.closest('.snippet')?.querySelector('pre') ?? null)}
        >
          {state === 'copied' ? 'Copied' : 'Copy'}
        </button>
      </div>
      <pre className="doc-code snippet-code" id={codeId} tabIndex={0}>
        <code>{s.text}</code>
      </pre>
      {state === 'blocked' && (
        <p className="snippet-sub" role="status">
          Copying is blocked here: the text is selected, copy it by hand.
        </p>
      )}
      {s.after && <p className="snippet-after">{s.after}</p>}
    </section>
  );
}
