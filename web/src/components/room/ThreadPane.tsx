import { useEffect, useMemo, useRef } from 'react';
import { threadMessages } from '../../room/threads.js';
import { initials, senderGradient } from '../../room/identityColors.js';
import { Icon } from '../Icon.js';
import { Markdown } from '../Markdown.js';
import { useCtl, useRoomState } from './roomContext.js';
import { jumpTo } from './jump.js';

// One formatter for every bubble: toLocaleTimeString builds a new one per call, which dominated
// rendering long rooms.
const TIME = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit' });
const time = (ts: number) => TIME.format(ts);
/** Matches the CSS breakpoint where the pane replaces the chat column. */
const NARROW = '(max-width: 820px)';

/**
 * The thread pane (reference-client.md §3.4): the whole reply chain under one root, live. On
 * wide screens it sits beside the chat; on narrow ones it replaces it, so jumping to a message
 * closes it first.
 */
export function ThreadPane() {
  const { ctl } = useCtl();
  const rootId = useRoomState((s) => s.threadRootId);
  const order = useRoomState((s) => s.order);
  const messages = useRoomState((s) => s.messages);
  const me = useRoomState((s) => s.me);
  const items = useMemo(
    () => (rootId ? threadMessages({ order, messages }, rootId) : []),
    [rootId, order, messages],
  );
  const root = rootId ? messages[rootId] : undefined;
  const pane = useRef<HTMLElement>(null);
  const opener = useRef<string | null>(null);

  const close = (restoreFocus = true) => {
    const id = opener.current;
    ctl.store.getState().openThread(null);
    if (restoreFocus && id)
      requestAnimationFrame(() =>
        document.querySelector<HTMLElement>(`[data-thread-for="${CSS.escape(id)}"]`)?.focus(),
      );
  };

  useEffect(() => {
    if (!rootId) return;
    // Remember which bubble's button opened us (the active element), so Escape can go back there.
    const active = document.activeElement;
    opener.current = active instanceof HTMLElement ? (active.dataset.threadFor ?? rootId) : rootId;
    pane.current?.querySelector<HTMLElement>('h2')?.focus();
  }, [rootId]);

  // Escape from the conversation closes the pane too (inside it, onKeyDown below handles it);
  // open dialogs, menus and the composer keep their own Escape.
  useEffect(() => {
    if (!rootId) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented || document.querySelector('dialog[open]')) return;
      const at = document.activeElement;
      if (at && at !== document.body && !at.closest('.messages')) return;
      ctl.store.getState().openThread(null);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [rootId, ctl]);

  // The root was deleted or expired: the chain is gone with it.
  useEffect(() => {
    if (rootId && !root) ctl.store.getState().openThread(null);
  }, [rootId, root, ctl]);

  if (!rootId || !root) return null;
  const jump = (id: string) => {
    if (matchMedia(NARROW).matches) close(false);
    jumpTo(ctl.store, id);
  };
  return (
    <aside
      className="thread-pane"
      ref={pane}
      aria-labelledby="thread-title"
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          close();
        }
      }}
    >
      <div className="thread-head">
        <div>
          <h2 id="thread-title" tabIndex={-1}>
            Thread
          </h2>
          <p className="muted small" aria-live="polite">
            {items.length} {items.length === 1 ? 'message' : 'messages'} in this reply chain
          </p>
        </div>
        <button type="button" className="icon-btn" aria-label="Close thread" onClick={() => close()}>
          <Icon name="x" />
        </button>
      </div>
      <ol className="thread-list">
        {items.map((m) => (
          <li key={m.id}>
            <article
              className={`thread-card${m.id === rootId ? ' is-root' : ''}`}
              aria-label={`${m.sender} at ${time(m.ts)}`}
            >
              <header className="meta">
                <span className="avatar" style={{ background: senderGradient(m.sender) }} aria-hidden="true">
                  {initials(m.sender)}
                </span>
                <span className="sender">{m.sender}</span>
                {m.verified && <span className="verified">✓</span>}
                {m.own && <span className="you">you</span>}
                <time dateTime={new Date(m.ts).toISOString()}>{time(m.ts)}</time>
              </header>
              <div className="body">
                <Markdown text={m.text} me={me} />
              </div>
              <button type="button" className="link-btn thread-jump" onClick={() => jump(m.id)}>
                {m.id === rootId ? 'Thread root' : 'Jump to message'}
                <span className="sr-only"> from {m.sender}</span>
              </button>
            </article>
          </li>
        ))}
      </ol>
      <div className="thread-foot">
        <button
          type="button"
          className="btn btn-primary"
          onClick={() => {
            const oneLine = root.text.replace(/\s+/g, ' ').trim();
            ctl.store
              .getState()
              .setReplyTo({ id: root.id, sender: root.sender, preview: oneLine.slice(0, 120) });
            close(false);
            requestAnimationFrame(() => document.getElementById('composer-input')?.focus());
          }}
        >
          <Icon name="reply" size={16} /> Reply to thread root
        </button>
      </div>
    </aside>
  );
}
