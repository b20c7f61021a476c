/**
 * Answers that list messages (`/transcript`, `/wait`) can reach 500 × 128 KiB. They are written
 * a few messages at a time, waiting for the reader to take each part, instead of being built as
 * one 65 MB string; a reader that takes nothing for `answerStallMs` is cut off, and one address
 * may have only a few such answers in flight.
 */
import type { ServerResponse } from 'node:http';
import { ERR, RETRY_AFTER_S } from '../../protocol/index.js';
import type { RelayLimits } from '../config.js';
import { Counter } from '../limits/rateLimit.js';
import type { ReadResult } from '../rooms/types.js';
import { HttpError, writeJsonHead } from './respond.js';

/**
 * Stored bytes read and serialized per step: about eight messages at the ciphertext cap (~1.3 MB
 * held for a reader that stalls), but hundreds of small ones. Each page is a backend round trip
 * (Redis, in a cluster): counted in messages, a busy room outran its long-poll readers.
 */
export const ANSWER_PAGE_BYTES = 1_100_000;

/** At the global cap, an answer whose reader has taken nothing for this long may be cut off. */
const YIELD_AFTER_MS = 1000;

interface Active {
  res: ServerResponse;
  /** When it began waiting for its reader to take what was written; null while it is not waiting. */
  waitingSince: number | null;
}

export class LargeAnswers {
  private readonly inFlight = new Counter();
  private readonly active = new Set<Active>();

  constructor(
    private readonly limits: RelayLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Answers being written now, over every address. */
  get size(): number {
    return this.active.size;
  }

  /**
   * Make room under the global cap: the answer that has waited longest for a reader who takes
   * nothing goes, so stalled readers from many addresses cannot hold memory that readers who read need.
   */
  private yieldOne(): boolean {
    let worst: Active | null = null;
    for (const a of this.active)
      if (a.waitingSince !== null && (worst === null || a.waitingSince < worst.waitingSince!)) worst = a;
    if (!worst || this.now() - worst.waitingSince! < YIELD_AFTER_MS) return false;
    this.active.delete(worst);
    worst.res.destroy();
    return true;
  }

  /**
   * Stream `{"messages":[…], …tail}`: the messages of `first`, then further pages from
   * `readPage` (each read with a limit of what is left to send and ANSWER_PAGE_BYTES) until `limit`
   * messages are sent or a page is empty. `tail` names the fields after the list (it sees the last
   * page's `lastSeq` and the count sent).
   */
  async stream(
    res: ServerResponse,
    ip: string,
    first: ReadResult,
    limit: number,
    readPage: (after: number, limit: number) => Promise<ReadResult | null>,
    tail: (lastSeq: number, count: number) => Record<string, unknown>,
  ): Promise<void> {
    if (!this.inFlight.tryAcquire(ip, this.limits.largeAnswersPerIp))
      throw new HttpError(429, ERR.rateLimited, RETRY_AFTER_S.roomPost);
    if (this.active.size >= this.limits.largeAnswersMax && !this.yieldOne()) {
      this.inFlight.release(ip);
      throw new HttpError(503, ERR.answersBusy, RETRY_AFTER_S.roomPost);
    }
    const me: Active = { res, waitingSince: null };
    this.active.add(me);
    const stop = watchStall(res, this.limits.answerStallMs);
    try {
      writeJsonHead(res, 200);
      res.write('{"messages":[');
      let page = first;
      let count = 0;
      let lastSeq = first.lastSeq;
      for (;;) {
        let cursor = 0;
        for (const m of page.messages) {
          if (count >= limit) break;
          res.write((count === 0 ? '' : ',') + JSON.stringify(m));
          count++;
          cursor = m.seq;
        }
        lastSeq = page.lastSeq;
        if (count >= limit || cursor === 0 || cursor >= page.lastSeq) break;
        if (res.writableNeedDrain) {
          me.waitingSince = this.now();
          if (!(await drained(res))) return;
          me.waitingSince = null;
        }
        const next = await readPage(cursor, limit - count);
        if (res.destroyed) return;
        // The room went away mid-answer: what was sent stands.
        if (!next) break;
        // Retention moved past the cursor while this answer was written: end it here rather than
        // list messages with a hole between pages that one read could never show.
        if (next.oldestSeq > cursor + 1) {
          lastSeq = next.lastSeq;
          break;
        }
        page = next;
      }
      res.end('],' + JSON.stringify(tail(lastSeq, count)).slice(1));
    } finally {
      this.active.delete(me);
      this.inFlight.release(ip);
      stop.onEnd();
    }
  }
}

/** True once the reader has taken what was written; false if the answer was closed meanwhile. */
function drained(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/**
 * Cut the answer off when, between two checks `stallMs` apart, the reader took nothing of what
 * waits to be sent. Keeps watching after the last write, until everything is flushed.
 */
function watchStall(res: ServerResponse, stallMs: number): { onEnd(): void } {
  let pending = -1;
  let drainedSince = false;
  const onDrain = () => void (drainedSince = true);
  const timer = setInterval(() => {
    const now = res.writableLength;
    if (now > 0 && pending !== -1 && now >= pending && !drainedSince) res.destroy();
    pending = now;
    drainedSince = false;
  }, stallMs);
  timer.unref();
  res.on('drain', onDrain);
  const clear = () => {
    clearInterval(timer);
    res.off('drain', onDrain);
  };
  res.once('close', clear);
  res.once('finish', clear);
  return {
    onEnd() {
      if (res.writableFinished || res.destroyed) clear();
    },
  };
}
