/**
 * Which slice of a long room the message list renders (2,000 cached messages must open
 * and scroll smoothly). The window is counted from the newest message, so live messages at the
 * bottom do not move it: `endOffset` newest messages are left out below, `size` are rendered.
 * It grows by steps as the reader scrolls towards either end and never holds more than `max`,
 * so layout and paint stay bounded however long the room is.
 */
export interface ListWindow {
  size: number;
  endOffset: number;
}

export function windowBounds(len: number, w: ListWindow): { start: number; end: number } {
  const end = Math.max(0, len - Math.max(0, w.endOffset));
  return { start: Math.max(0, end - w.size), end };
}

/** Render `step` older messages; beyond `max`, drop as many from the bottom. */
export function growUp(w: ListWindow, len: number, step: number, max: number): ListWindow {
  const { start } = windowBounds(len, w);
  const add = Math.min(step, start);
  if (add <= 0) return w;
  const size = w.size + add;
  return size <= max
    ? { size, endOffset: w.endOffset }
    : { size: max, endOffset: w.endOffset + (size - max) };
}

/** Render `step` newer messages; beyond `max`, drop as many from the top. */
export function growDown(w: ListWindow, step: number, max: number): ListWindow {
  const add = Math.min(step, w.endOffset);
  if (add <= 0) return w;
  return { size: Math.min(max, w.size + add), endOffset: w.endOffset - add };
}

/** A window of `max` (or less) with message `idx` in its middle, for jumps. */
export function around(len: number, idx: number, max: number): ListWindow {
  const endOffset = Math.max(0, len - (idx + Math.ceil(max / 2)));
  return { size: max, endOffset };
}

/** Messages arrived at the bottom: a window away from the live edge keeps showing the same ones. */
export function afterAppend(w: ListWindow, added: number, followLive: boolean, max = Infinity): ListWindow {
  if (added <= 0) return w;
  if (w.endOffset > 0) return { size: w.size, endOffset: w.endOffset + added };
  // At the live edge: sliding (stuck to the bottom) keeps the size; reading further up grows it
  // so nothing vanishes above the reader, until the cap, after which the newest wait below.
  if (followLive) return w;
  if (w.size + added <= max) return { size: w.size + added, endOffset: 0 };
  return { size: Math.max(w.size, max), endOffset: w.size + added - Math.max(w.size, max) };
}
