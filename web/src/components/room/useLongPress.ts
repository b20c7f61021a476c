import { useEffect, useRef } from 'react';

const HOLD_MS = 450;
const SLOP_PX = 10;

/**
 * A finger held still on a message for a moment opens its actions. Mouse and pen are left alone;
 * a scroll (movement past the slop) cancels. `fired()` tells the click that follows a hold to stand
 * down, and the browser's own long-press menu is suppressed on the message.
 */
export function useLongPress(onHold: () => void) {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const start = useRef<{ x: number; y: number } | null>(null);
  const held = useRef(false);
  const cancel = () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    start.current = null;
  };
  useEffect(() => cancel, []);
  return {
    fired: () => {
      const h = held.current;
      held.current = false;
      return h;
    },
    handlers: {
      onPointerDown: (e: React.PointerEvent) => {
        if (e.pointerType !== 'touch') return;
        cancel();
        held.current = false;
        start.current = { x: e.clientX, y: e.clientY };
        timer.current = setTimeout(() => {
          timer.current = null;
          held.current = true;
          onHold();
        }, HOLD_MS);
      },
      onPointerMove: (e: React.PointerEvent) => {
        const s = start.current;
        if (s && Math.hypot(e.clientX - s.x, e.clientY - s.y) > SLOP_PX) cancel();
      },
      onPointerUp: cancel,
      onPointerCancel: cancel,
      onContextMenu: (e: React.MouseEvent) => {
        // Android opens a context menu on a long-press; ours is the sheet.
        if (held.current || timer.current || (e.nativeEvent as PointerEvent).pointerType === 'touch') {
          e.preventDefault();
          if (!held.current) {
            cancel();
            held.current = true;
            onHold();
          }
        }
      },
    },
  };
}
