/**
 * Parked long-polls (`/wait`, `/claim`): caps, wake-ups and cleanup in one place.
 */
import type { ServerResponse } from 'node:http';
import { ERR, RETRY_AFTER_S, type StoredMessage } from '../../protocol/index.js';
import type { RelayDeps } from '../deps.js';
import { HttpError } from '../http/respond.js';

/**
 * Park until `attempt` answers (it returns true once it has responded) or the timeout fires.
 * `attempt` runs once right after parking, to close the race with a message that arrived
 * between the caller's first read and the park, and again on every message in the room.
 */
export async function parkUntil(
  deps: RelayDeps,
  roomId: string,
  ip: string,
  res: ServerResponse,
  timeoutMs: number,
  attempt: () => Promise<boolean>,
  onTimeout: () => Promise<void>,
  /** Answer straight from the message that woke us, when that is enough (no second read). */
  onMessage?: (message: StoredMessage) => boolean,
): Promise<void> {
  if (deps.hub.waiterCount(roomId) >= deps.config.limits.waitersPerRoom) {
    throw new HttpError(429, ERR.tooManyRoomWaiters, RETRY_AFTER_S.waiterCap);
  }
  if (!deps.waitersPerIp.tryAcquire(ip, deps.config.limits.waitersPerIp)) {
    throw new HttpError(429, ERR.tooManyIpWaiters, RETRY_AFTER_S.waiterCap);
  }
  await deps.backend.touch(roomId, deps.now());
  let done = false;
  let busy = false;
  let again = false;
  const finish = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    deps.hub.unpark(roomId, waiter);
    deps.waitersPerIp.release(ip);
  };
  const run = async () => {
    if (done) return;
    // Wake-ups during an attempt are folded into one more attempt afterwards.
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    try {
      do {
        again = false;
        if (await attempt()) {
          finish();
          return;
        }
      } while (again && !done);
      if (!done) deps.hub.park(roomId, waiter);
    } catch {
      finish();
      if (!res.headersSent) res.destroy();
    } finally {
      busy = false;
    }
  };
  const waiter = {
    wake: (message?: StoredMessage) => {
      if (!done && !busy && message && onMessage?.(message)) return finish();
      void run();
    },
  };
  const timer = setTimeout(() => {
    if (done) return;
    finish();
    void onTimeout().catch(() => res.destroy());
  }, timeoutMs);
  res.on('close', finish);
  deps.hub.park(roomId, waiter);
  await run();
}
