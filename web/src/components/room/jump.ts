import type { RoomStore } from '../../store/roomStore.js';

/** Scroll a message into the middle of the view and flash it; false if it is not rendered. */
export function jumpTo(store: RoomStore, id: string): boolean {
  const el = document.getElementById(`msg-${id}`);
  if (!el) {
    store.getState().toast('That message is not in the loaded history', 'error');
    return false;
  }
  el.scrollIntoView({ block: 'center', behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth' });
  store.getState().flash(id);
  el.focus({ preventScroll: true });
  setTimeout(() => {
    if (store.getState().flashId === id) store.getState().flash(null);
  }, 1600);
  return true;
}
