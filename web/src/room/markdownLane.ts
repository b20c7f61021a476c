/**
 * Formatting messages shares a budget per task: a live message is formatted at once, but when one
 * render would format dozens (a reload of a room full of heavy messages), those past the budget
 * show plain text first and are formatted a few per task afterwards, newest first.
 */
const TASK_BUDGET_MS = 6;
const WAKE_PER_TASK = 1;

let spent = 0;
let resetQueued = false;
let pumpQueued = false;
const waiting = new Set<() => void>();

/** May a message be formatted in this task? */
export function mayFormatNow(): boolean {
  return spent < TASK_BUDGET_MS;
}

/** Run one formatting job and charge its time to the current task. */
export function charged<T>(job: () => T): T {
  const t0 = performance.now();
  try {
    return job();
  } finally {
    spent += performance.now() - t0;
    if (!resetQueued) {
      resetQueued = true;
      setTimeout(() => {
        spent = 0;
        resetQueued = false;
      }, 0);
    }
  }
}

/** Call `wake` in a later task; the returned function withdraws it (the bubble left the window). */
export function formatLater(wake: () => void): () => void {
  waiting.add(wake);
  queuePump();
  return () => void waiting.delete(wake);
}

function queuePump(): void {
  if (pumpQueued) return;
  pumpQueued = true;
  setTimeout(pump, 0);
}

function pump(): void {
  pumpQueued = false;
  // The newest bubbles mount last and sit at the bottom, where the reader is.
  const next = [...waiting].slice(-WAKE_PER_TASK);
  for (const wake of next) {
    waiting.delete(wake);
    wake();
  }
  if (waiting.size) queuePump();
}
