/**
 * Open-loop pacing: call `fire(i)` for i = 0..count-1 at `rate` per second, on schedule whether
 * or not earlier calls have completed (a closed loop would hide queueing from the latency).
 * If the generator falls behind, it catches up in bursts and the achieved rate says so.
 */
import { now } from './payload.js';

export function pace(rate: number, count: number, fire: (i: number) => void): Promise<{ seconds: number }> {
  return new Promise((resolve) => {
    const start = now();
    let i = 0;
    const tick = () => {
      const due = Math.min(count, Math.floor(((now() - start) / 1000) * rate) + 1);
      while (i < due) fire(i++);
      if (i >= count) return resolve({ seconds: (now() - start) / 1000 });
      setTimeout(tick, 1);
    };
    tick();
  });
}
