/**
 * The SSE listener loop (reference-relay.md §2.2, §9): `GET /events?name&box_pub[&after]`,
 * replay then live frames, reconnect forever with backoff min(15 s, 0.5·2^min(n,5) + 0.1n),
 * resume with the highest seq seen, and never yield a seq twice.
 *
 * A stream starts at "now": what was said before it started is history (see Room.history), not
 * new work, or a restarted bot would answer old messages again. `backlog: true` replays it.
 */
import { parseServerFrame } from '../../protocol/index.js';
import { HttpError } from './errors.js';
import { sleep } from './http.js';
import type { Message } from './message.js';
import type { RoomCore } from './roomCore.js';
import { sseData } from './sse.js';

export interface StreamOptions {
  /**
   * Where to start: a seq to resume after (0 = the whole buffer), 'start' for the whole buffer,
   * 'now' (the default) for only what arrives from here on.
   */
  after?: number | 'now' | 'start';
  /** Replay the retained backlog first (the same as `after: 'start'`). */
  backlog?: boolean;
  /**
   * Called when the relay says messages were lost between `after` and its oldest retained one
   * (a resume after a long absence). Default: a warning through the Room's onWarning.
   */
  onGap?: (gap: GapEvent) => void;
  includeSelf?: boolean;
  /** Also yield reactions, deletes and other control envelopes (adopt offers never). */
  includeControl?: boolean;
  /** Stop after this many consecutive failed connects (default: never). */
  maxReconnects?: number;
  signal?: AbortSignal;
}

export interface GapEvent {
  /** The seq the stream resumed after. */
  after: number;
  /** The oldest message the relay still has; everything between was dropped. */
  oldestSeq: number;
  lastSeq: number;
}

export function reconnectDelayMs(n: number): number {
  return Math.min(15_000, (0.5 * 2 ** Math.min(n, 5) + 0.1 * n) * 1000);
}

export async function* streamMessages(room: RoomCore, opts: StreamOptions = {}): AsyncGenerator<Message> {
  let floor = 0;
  const start = opts.after ?? (opts.backlog ? 'start' : 'now');
  if (start === 'now') floor = (await room.status()).last_seq ?? 0;
  else if (typeof start === 'number' && start > 0) floor = Math.floor(start);
  const onGap =
    opts.onGap ??
    ((g: GapEvent) =>
      room.warn(
        `stream: messages after seq ${g.after} up to ${g.oldestSeq} are gone from the relay (missed while away); continuing from ${g.oldestSeq}`,
      ));
  const release = room.presence.acquire();
  // A rename ends the current connection; the next one declares the new name (SSE has no hello).
  let renamed: boolean;
  let current: AbortController | null = null;
  const stopRenameWatch = room.presence.onRename(() => {
    renamed = true;
    current?.abort(new Error('renamed'));
  });
  let failures = 0;
  const fetchImpl = room.fetchImpl ?? fetch;
  try {
    while (!opts.signal?.aborted) {
      const conn = new AbortController();
      current = conn;
      renamed = false;
      const onOuterAbort = () => conn.abort();
      opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
      let idle: NodeJS.Timeout | undefined;
      const resetIdle = () => {
        clearTimeout(idle);
        idle = setTimeout(() => conn.abort(new Error('idle')), room.maxIdleSec * 1000);
      };
      try {
        const connAfter = floor;
        const q = new URLSearchParams({ name: room.name, box_pub: room.boxPub });
        if (floor > 0) q.set('after', String(floor));
        const connectTimer = setTimeout(() => conn.abort(new Error('connect timeout')), 10_000);
        let res: Response;
        try {
          res = await fetchImpl(`${room.apiBase}/events?${q}`, {
            headers: { Accept: 'text/event-stream' },
            signal: conn.signal,
            redirect: room.refuseRedirects ? 'manual' : 'follow',
          });
        } finally {
          clearTimeout(connectTimer);
        }
        if (!res.ok || !res.body) {
          await res.body?.cancel();
          throw new HttpError(res.status, undefined, 'stream');
        }
        resetIdle();
        // Presence right away, so stream-only agents show up even before the first heartbeat.
        void room.presence.beat();
        for await (const data of sseData(res.body, { onActivity: resetIdle })) {
          const frame = parseServerFrame(data);
          if (!frame) continue;
          if (frame.type === 'ready') {
            failures = 0;
            if (frame.gap)
              onGap({ after: connAfter, oldestSeq: frame.oldest_seq ?? 0, lastSeq: frame.last_seq ?? 0 });
            if (typeof frame.last_seq === 'number') floor = Math.max(floor, frame.last_seq);
            if (frame.signed_only) room.locked = true;
            room.budget.present(frame.participants);
          } else if (frame.type === 'presence') {
            room.budget.present(frame.participants);
          } else if (frame.type === 'locked') {
            room.locked = true;
          } else if (frame.type === 'message') {
            if (frame.seq <= floor) continue;
            // Frames of one connection follow each other with none left out.
            const prev = floor;
            floor = frame.seq;
            const msg = await room.receive(frame, { after: prev });
            if (msg && room.wanted(msg, opts)) yield msg;
          } else if (frame.type === 'error') {
            room.warn(`stream: relay says ${frame.error}`);
          }
        }
      } catch (e) {
        if (opts.signal?.aborted) return;
        if (e instanceof HttpError && e.status === 400) throw e;
      } finally {
        clearTimeout(idle);
        opts.signal?.removeEventListener('abort', onOuterAbort);
        conn.abort();
        current = null;
      }
      if (renamed) continue;
      failures++;
      if (opts.maxReconnects !== undefined && failures > opts.maxReconnects)
        throw new Error(`stream: gave up after ${failures} failed connects to ${room.origin}`);
      try {
        await sleep(reconnectDelayMs(failures - 1), opts.signal);
      } catch {
        return;
      }
    }
  } finally {
    stopRenameWatch();
    release();
  }
}
