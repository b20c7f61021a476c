import type { RoomStore } from '../../store/roomStore.js';

/**
 * Ask the message list to bring a message into the middle of the view and flash it. The list
 * renders a window of the newest messages, so it may first have to render further back; that
 * is why this is a request and not a direct scroll. False (with a toast) for unknown ids.
 */
export function jumpTo(store: RoomStore, id: string): boolean {
  if (!store.getState().messages[id]) {
    store.getState().toast('That message is not in the loaded history', 'error');
    return false;
  }
  store.getState().requestJump(id);
  return true;
}

/** Run by the list once the target element exists. */
export function scrollAndFlash(store: RoomStore, el: HTMLElement, id: string): void {
  el.scrollIntoView({
    block: 'center',
    behavior: matchMedia('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth',
  });
  store.getState().flash(id);
  el.focus({ preventScroll: true });
  setTimeout(() => {
    if (store.getState().flashId === id) store.getState().flash(null);
  }, 1600);
}
