import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useCtl, useRoomState } from './Room.js';
import { Bubble, PendingBubble } from './Bubble.js';
import { DeleteDialog } from './DeleteDialog.js';
import { EmptyState } from './EmptyState.js';
import { jumpTo } from './jump.js';

const NEAR_BOTTOM_PX = 120;
const PERMALINK_WAIT_MS = 6000;

export function MessageList() {
  const { ctl, link } = useCtl();
  const order = useRoomState((s) => s.order);
  const messages = useRoomState((s) => s.messages);
  const pending = useRoomState((s) => s.pending);
  const undecryptable = useRoomState((s) => s.undecryptable);
  const me = useRoomState((s) => s.me);
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const seenCount = useRef(0);
  const [newBelow, setNewBelow] = useState(0);
  const [toDelete, setToDelete] = useState<string | null>(null);

  const total = order.length + pending.length;
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const added = total - seenCount.current;
    seenCount.current = total;
    if (stick.current) el.scrollTop = el.scrollHeight;
    else if (added > 0) setNewBelow((n) => n + added);
  }, [total]);

  // Permalink #k=…&m=<id>: wait up to 6 s for the message (cache, relay or a peer may bring it).
  useEffect(() => {
    const id = link.messageId;
    if (!id) return;
    const strip = () => {
      const params = new URLSearchParams(location.hash.slice(1));
      params.delete('m');
      history.replaceState(null, '', `${location.pathname}#${[...params].map(([k, v]) => `${k}=${v}`).join('&')}`);
    };
    const started = Date.now();
    const t = setInterval(() => {
      if (document.getElementById(`msg-${id}`)) {
        clearInterval(t);
        stick.current = false;
        jumpTo(ctl.store, id);
        strip();
      } else if (Date.now() - started > PERMALINK_WAIT_MS) {
        clearInterval(t);
        strip();
        ctl.store.getState().toast(`Message ${id.slice(0, 8)}… is not in the loaded history`, 'error');
      }
    }, 150);
    return () => clearInterval(t);
  }, [ctl, link.messageId]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
    if (stick.current) setNewBelow(0);
  };

  let prev: { sender: string; ts: number; verified: boolean } | null = null;
  return (
    <div className="messages-wrap">
      {undecryptable > 0 && order.length === 0 && (
        <div className="banner banner-warn" role="alert">
          {undecryptable} message{undecryptable === 1 ? '' : 's'} could not be decrypted. Is your link complete?
        </div>
      )}
      <div className="messages" ref={scroller} onScroll={onScroll} role="log" aria-live="polite" aria-relevant="additions" aria-label="Messages" tabIndex={0}>
        {order.length === 0 && pending.length === 0 && <EmptyState />}
        {order.map((id) => {
          const m = messages[id]!;
          const compact = !!prev && prev.sender === m.sender && prev.verified === m.verified && m.ts - prev.ts < 5 * 60_000 && !m.replyTo && !m.ttlMs && !m.restored;
          prev = { sender: m.sender, ts: m.ts, verified: m.verified };
          return <Bubble key={id} m={m} self={m.sender === me} compact={compact} onDelete={setToDelete} />;
        })}
        {pending.map((p) => (
          <PendingBubble key={p.localId} p={p} />
        ))}
      </div>
      {newBelow > 0 && (
        <button
          type="button"
          className="new-pill"
          onClick={() => {
            const el = scroller.current;
            if (el) el.scrollTop = el.scrollHeight;
            stick.current = true;
            setNewBelow(0);
          }}
        >
          {newBelow} new message{newBelow === 1 ? '' : 's'} ↓
        </button>
      )}
      <DeleteDialog id={toDelete} onClose={() => setToDelete(null)} />
    </div>
  );
}
