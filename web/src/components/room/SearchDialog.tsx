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
      if (m && (m.text.toLowerCase().includes(needle) || m.sender.toLowerCase().includes(needle))) out.push(m);
    }
    return out;
  }, [q, order, messages]);
  return (
    <Dialog open={props.open} onClose={props.onClose} title="Search messages" className="dialog-search">
      <label className="sr-only" htmlFor="search-input">
        Search messages, senders or text
      </label>
      <input id="search-input" type="search" placeholder="Search messages, senders or text" value={q} onChange={(e) => setQ(e.target.value)} />
      <p className="muted small">Searches everything loaded on this device. Shortcut: Ctrl/⌘ K</p>
      <ul className="search-results" aria-live="polite">
        {q.trim() && results.length === 0 && <li className="muted">No messages matched that search.</li>}
        {!q.trim() && <li className="muted">Start typing to search the room history.</li>}
        {results.map((m) => (
          <li key={m.id}>
            <button
              type="button"
              className="search-hit"
              onClick={() => {
                props.onClose();
                jumpTo(ctl.store, m.id);
              }}
            >
              <span className="hit-meta">
                <strong>{m.sender}</strong> · {new Date(m.ts).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' })}
              </span>
              <span className="hit-text">{snippet(m.text, q.trim())}</span>
            </button>
          </li>
        ))}
      </ul>
    </Dialog>
  );
}
