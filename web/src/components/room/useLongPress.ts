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
  const swallowing = useRef<(() => void) | null>(null);
  const cancel = () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    start.current = null;
  };
  /**
   * The sheet opens under the finger; the click the browser makes when it lifts would land on
   * the sheet (an item, or the backdrop that closes it). Swallow that one click.
   */
  const swallowNextClick = () => {
    swallowing.current?.();
    const eat = (e: MouseEvent) => {
      e.preventDefault();
      e.stopPropagation();
      held.current = false;
      stop();
    };
    const stop = () => {
      window.removeEventListener('click', eat, true);
      swallowing.current = null;
    };
    window.addEventListener('click', eat, true);
    swallowing.current = stop;
  };
  const lifted = () => {
    cancel();
    const stop = swallowing.current;
    // A click comes right after the lift or not at all.
    if (stop) setTimeout(stop, 400);
  };
  const hold = () => {
    held.current = true;
    swallowNextClick();
    onHold();
  };
  useEffect(
    () => () => {
      cancel();
      swallowing.current?.();
    },
    [],
  );
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
          hold();
        }, HOLD_MS);
      },
      onPointerMove: (e: React.PointerEvent) => {
        const s = start.current;
        if (s && Math.hypot(e.clientX - s.x, e.clientY - s.y) > SLOP_PX) cancel();
      },
      onPointerUp: lifted,
      onPointerCancel: lifted,
      onContextMenu: (e: React.MouseEvent) => {
        // Android opens a context menu on a long-press; ours is the sheet.
        if (held.current || timer.current || (e.nativeEvent as PointerEvent).pointerType === 'touch') {
          e.preventDefault();
          if (!held.current) {
            cancel();
            hold();
          }
        }
      },
    },
  };
}
