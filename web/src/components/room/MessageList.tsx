import { startTransition, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { replyCounts } from '../../room/threads.js';
import {
  afterAppend,
  around,
  growDown,
  growUp,
  windowBounds,
  type ListWindow,
} from '../../room/listWindow.js';
import { useCtl, useRoomState } from './roomContext.js';
import { Bubble, PendingBubble } from './Bubble.js';
import { DeleteDialog } from './DeleteDialog.js';
import { MessageSheet } from './MessageSheet.js';
import { EmptyState } from './EmptyState.js';
import { jumpTo, scrollAndFlash } from './jump.js';

const NEAR_BOTTOM_PX = 120;
const PERMALINK_WAIT_MS = 6000;
/**
 * The list renders a bounded window of the room (room/listWindow.ts): the newest 120 at first,
 * 40 more whenever the reader nears either end, never more than 360 at once. A room with
 * thousands of cached messages then opens and scrolls like one with a hundred. Jumps (search,
 * permalinks, replies, threads) move the window to their target first.
 */
export const WINDOW_INITIAL = 120;
export const WINDOW_STEP = 40;
export const WINDOW_MAX = 360;
const GROW_AT_PX = 900;

/** `bot2bot:list-window` in localStorage renders that many at once (the benchmark compares). */
function override(): number | null {
  try {
    const n = Number(localStorage.getItem('bot2bot:list-window'));
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

export function MessageList() {
  const { ctl, link } = useCtl();
  const order = useRoomState((s) => s.order);
  const messages = useRoomState((s) => s.messages);
  const pending = useRoomState((s) => s.pending);
  const undecryptable = useRoomState((s) => s.undecryptable);
  const jumpRequest = useRoomState((s) => s.jumpRequest);
  const cacheLoaded = useRoomState((s) => s.cacheLoaded);
  const scroller = useRef<HTMLDivElement>(null);
  const stack = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const seen = useRef({ total: 0, pending: 0 });
  const [newBelow, setNewBelow] = useState(0);
  const [toDelete, setToDelete] = useState<string | null>(null);
  const [sheetFor, setSheetFor] = useState<string | null>(null);
  const [limits] = useState(() => {
    const o = override();
    return { initial: o ?? WINDOW_INITIAL, max: Math.max(o ?? 0, WINDOW_MAX) };
  });
  const [win, setWin] = useState<ListWindow>({ size: limits.initial, endOffset: 0 });
  /** A message that stays rendered across a window change, and where it sat in the content. */
  const anchor = useRef<{ id: string; offset: number } | null>(null);
  const pendingJump = useRef<string | null>(null);
  const toBottom = useRef(false);
  const marked = useRef(false);

  const { start, end } = windowBounds(order.length, win);
  const visible = start === 0 && end === order.length ? order : order.slice(start, end);
  const atLiveEdge = end === order.length;
  const counts = useMemo(() => replyCounts({ order, messages }), [order, messages]);

  const total = order.length + pending.length;
  const live = useRef(atLiveEdge);
  live.current = atLiveEdge;
  // The list shrinks when the composer grows or a soft keyboard opens: a reader at the bottom stays there.
  useEffect(() => {
    const el = scroller.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => {
      if (stick.current && live.current) el.scrollTop = el.scrollHeight;
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const added = total - seen.current.total;
    const sentNow = pending.length > seen.current.pending;
    seen.current = { total, pending: pending.length };
    if (sentNow && !atLiveEdge) {
      // Our own message goes to the bottom, and so do we.
      toBottom.current = true;
      setWin({ size: limits.initial, endOffset: 0 });
      return;
    }
    if (stick.current && atLiveEdge) el.scrollTop = el.scrollHeight;
    else if (added > 0) {
      setNewBelow((n) => n + added);
      setWin((w) => afterAppend(w, added, false, limits.max));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [total]);

  // After the window moved: keep the anchor message exactly where the reader saw it.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (toBottom.current) {
      toBottom.current = false;
      stick.current = true;
      el.scrollTop = el.scrollHeight;
      return;
    }
    const a = anchor.current;
    if (!a) return;
    anchor.current = null;
    const node = document.getElementById(`msg-${a.id}`);
    if (node) el.scrollTop += node.offsetTop - a.offset;
  }, [win]);

  // The benchmark's mark: the first frame that shows messages replayed from IndexedDB.
  useEffect(() => {
    if (marked.current || cacheLoaded === null) return;
    marked.current = true;
    if (cacheLoaded > 0 && order.length > 0)
      requestAnimationFrame(() => performance.mark('room-cache-rendered', { detail: order.length }));
  }, [cacheLoaded, order.length]);

  /** Remember the first message on screen (content coordinates: immune to further scrolling). */
  const setAnchor = () => {
    const el = scroller.current;
    const st = stack.current;
    if (!el || !st) return;
    const top = el.getBoundingClientRect().top;
    for (const node of st.querySelectorAll<HTMLElement>('article.bubble[data-msg-id]')) {
      if (node.getBoundingClientRect().bottom > top) {
        anchor.current = { id: node.dataset.msgId!, offset: node.offsetTop };
        return;
      }
    }
  };

  const move = (next: (w: ListWindow) => ListWindow) => {
    const w = next(win);
    if (w === win) return;
    setAnchor();
    // A transition: React renders the new bubbles in slices and yields to scrolling in between.
    startTransition(() => setWin(w));
  };
  const older = () => move((w) => growUp(w, order.length, WINDOW_STEP, limits.max));
  const newer = () => move((w) => growDown(w, WINDOW_STEP, limits.max));

  // Jumps (search, permalinks, reply references, the thread pane): bring the target in first.
  useEffect(() => {
    if (!jumpRequest) return;
    const idx = order.indexOf(jumpRequest.id);
    if (idx < 0) return;
    stick.current = false;
    const el = document.getElementById(`msg-${jumpRequest.id}`);
    if (el) {
      scrollAndFlash(ctl.store, el, jumpRequest.id);
      return;
    }
    pendingJump.current = jumpRequest.id;
    anchor.current = null;
    setWin(around(order.length, idx, limits.max));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [jumpRequest]);
  useLayoutEffect(() => {
    const id = pendingJump.current;
    if (!id) return;
    const el = document.getElementById(`msg-${id}`);
    if (!el) return;
    pendingJump.current = null;
    scrollAndFlash(ctl.store, el, id);
  });

  // Permalink #k=…&m=<id>: wait up to 6 s for the message (cache, relay or a peer may bring it).
  useEffect(() => {
    const id = link.messageId;
    if (!id) return;
    const strip = () => {
      const params = new URLSearchParams(location.hash.slice(1));
      params.delete('m');
      history.replaceState(
        null,
        '',
        `${location.pathname}#${[...params].map(([k, v]) => `${k}=${v}`).join('&')}`,
      );
    };
    const started = Date.now();
    const t = setInterval(() => {
      if (ctl.store.getState().messages[id]) {
        clearInterval(t);
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
    const fromBottom = el.scrollHeight - el.scrollTop - el.clientHeight;
    stick.current = atLiveEdge && fromBottom < NEAR_BOTTOM_PX;
    if (stick.current) setNewBelow(0);
    if (anchor.current) return;
    if (start > 0 && el.scrollTop < GROW_AT_PX) older();
    else if (!atLiveEdge && fromBottom < GROW_AT_PX) newer();
  };

  const jumpToLatest = () => {
    setNewBelow(0);
    if (atLiveEdge) {
      const el = scroller.current;
      if (el) el.scrollTop = el.scrollHeight;
      stick.current = true;
      return;
    }
    toBottom.current = true;
    setWin({ size: limits.initial, endOffset: 0 });
  };

  let prev: { sender: string; ts: number; verified: boolean } | null = null;
  return (
    <div className="messages-wrap">
      {undecryptable > 0 && order.length === 0 && (
        <div className="banner banner-warn" role="alert">
          {undecryptable} message{undecryptable === 1 ? '' : 's'} could not be decrypted. Is your link
          complete?
        </div>
      )}
      <div
        className="messages"
        ref={scroller}
        onScroll={onScroll}
        role="region"
        aria-label="Messages"
        tabIndex={0}
        data-total={order.length}
        data-start={start}
        data-end={end}
      >
        {order.length === 0 && pending.length === 0 && <EmptyState />}
        <div className="message-stack" ref={stack}>
          {start > 0 && (
            <button type="button" className="btn btn-small show-more" onClick={older}>
              Show earlier messages ({start} more)
            </button>
          )}
          {visible.map((id) => {
            const m = messages[id]!;
            const compact =
              !!prev &&
              prev.sender === m.sender &&
              prev.verified === m.verified &&
              m.ts - prev.ts < 5 * 60_000 &&
              !m.replyTo &&
              !m.ttlMs &&
              !m.restored;
            prev = { sender: m.sender, ts: m.ts, verified: m.verified };
            return (
              <Bubble
                key={id}
                m={m}
                self={m.own === true}
                compact={compact}
                replies={counts.get(id) ?? 0}
                onDelete={setToDelete}
                onActions={setSheetFor}
              />
            );
          })}
          {!atLiveEdge && (
            <button type="button" className="btn btn-small show-more" onClick={newer}>
              Show newer messages ({order.length - end} more)
            </button>
          )}
          {atLiveEdge && pending.map((p) => <PendingBubble key={p.localId} p={p} />)}
        </div>
      </div>
      {(newBelow > 0 || !atLiveEdge) && (
        <button type="button" className="new-pill" onClick={jumpToLatest}>
          {newBelow > 0 ? `${newBelow} new message${newBelow === 1 ? '' : 's'} ↓` : 'Latest messages ↓'}
        </button>
      )}
      <DeleteDialog id={toDelete} onClose={() => setToDelete(null)} />
      <MessageSheet id={sheetFor} onClose={() => setSheetFor(null)} onDelete={setToDelete} />
    </div>
  );
}
