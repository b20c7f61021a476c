import { useEffect, useMemo, useState } from 'react';
import { Dialog } from '../Dialog.js';
import { useCtl, useRoomState } from './roomContext.js';
import { jumpTo } from './jump.js';

function snippet(text: string, q: string): string {
  const flat = text.replace(/\s+/g, ' ');
  if (!q) return flat.slice(0, 160);
  const at = flat.toLowerCase().indexOf(q.toLowerCase());
  if (at < 0) return flat.slice(0, 160);
  const start = Math.max(0, at - 36);
  const end = Math.min(flat.length, at + Math.max(80, q.length + 28));
  return `${start > 0 ? '…' : ''}${flat.slice(start, end)}${end < flat.length ? '…' : ''}`;
}

export function SearchDialog(props: { open: boolean; onClose: () => void; onOpen: () => void }) {
  const { ctl } = useCtl();
  const [q, setQ] = useState('');
  /** The match the next Enter jumps to (newest first); the query and this survive reopening. */
  const [cursor, setCursor] = useState(0);
  const order = useRoomState((s) => s.order);
  const messages = useRoomState((s) => s.messages);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        props.onOpen();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [props]);
  const results = useMemo(() => {
    const needle = q.trim().toLowerCase();
    if (!needle) return [];
    const out = [];
    for (let i = order.length - 1; i >= 0 && out.length < 40; i--) {
      const m = messages[order[i]!];
      if (m && (m.text.toLowerCase().includes(needle) || m.sender.toLowerCase().includes(needle)))
        out.push(m);
    }
    return out;
  }, [q, order, messages]);
  const go = (id: string) => {
    props.onClose();
    jumpTo(ctl.store, id);
  };
  const onKeyDown = (e: React.KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Escape') {
      // A search field's first Escape only clears it; one press closes the dialog here.
      e.preventDefault();
      props.onClose();
    } else if (e.key === 'Enter' && !e.nativeEvent.isComposing && results.length) {
      e.preventDefault();
      const i = ((e.shiftKey ? cursor - 2 : cursor) + results.length) % results.length;
      setCursor((i + 1) % results.length);
      go(results[i]!.id);
    }
  };
  const next = results.length ? cursor % results.length : 0;
  return (
    <Dialog open={props.open} onClose={props.onClose} title="Search messages" className="dialog-search">
      <label className="sr-only" htmlFor="search-input">
        Search messages, senders or text
      </label>
      <input
        id="search-input"
        type="search"
        placeholder="Search messages, senders or text"
        value={q}
        enterKeyHint="search"
        aria-describedby="search-help"
        onKeyDown={onKeyDown}
        onChange={(e) => {
          setQ(e.target.value);
          setCursor(0);
        }}
      />
      <p className="muted small" id="search-help">
        {results.length
          ? `Enter goes to match ${next + 1} of ${results.length} (newest first), Shift+Enter back. Ctrl/⌘ K reopens.`
          : 'Searches everything loaded on this device. Shortcut: Ctrl/⌘ K'}
      </p>
      <ul className="search-results" aria-live="polite">
        {q.trim() && results.length === 0 && <li className="muted">No messages matched that search.</li>}
        {!q.trim() && <li className="muted">Start typing to search the room history.</li>}
        {results.map((m, i) => (
          <li key={m.id}>
            <button
              type="button"
              className={`search-hit${i === next ? ' is-next' : ''}`}
              onClick={() => {
                setCursor((i + 1) % results.length);
                go(m.id);
              }}
            >
              <span className="hit-meta">
                <strong>{m.sender}</strong> ·{' '}
                {new Date(m.ts).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' })}
              </span>
              <span className="hit-text">{snippet(m.text, q.trim())}</span>
            </button>
          </li>
        ))}
      </ul>
    </Dialog>
  );
}
