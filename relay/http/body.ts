import type { IncomingMessage } from 'node:http';
import { ERR } from '../../protocol/index.js';
import { HttpError } from './respond.js';

export type BodyCallback = (error: Error | null, body: unknown) => void;

/** What a request being read carries; the listeners below are shared, not made per request. */
interface Reading {
  maxBytes: number;
  done: BodyCallback;
  chunks: Buffer[];
  size: number;
  finished: boolean;
  /** When the last chunk arrived, and how long the body may then stay silent (0: forever). */
  lastAt: number;
  idleMs: number;
}

const READING = Symbol('reading');
type ReadableRequest = IncomingMessage & { [READING]?: Reading };

/**
 * Read a JSON body under a byte cap, then call `done` once. Too large → 413, not JSON → 400, a
 * foreign media type → 415, all as HttpError (the reference answered these with Express's HTML
 * page). A missing body reads as `{}` so that the route's own validation names what is missing.
 *
 * A callback and module-level listeners rather than a promise and three closures: this runs for
 * every post, and each of those objects was one more for the garbage collector (docs/PERFORMANCE.md).
 */
export function readJsonBody(
  req: IncomingMessage,
  maxBytes: number,
  idleMs: number,
  done: BodyCallback,
): void {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) {
    req.resume();
    done(new HttpError(413, ERR.bodyTooLarge), undefined);
    return;
  }
  (req as ReadableRequest)[READING] = {
    maxBytes,
    done,
    chunks: [],
    size: 0,
    finished: false,
    lastAt: Date.now(),
    idleMs,
  };
  if (idleMs > 0) watchIdle(req as ReadableRequest);
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
}

/**
 * Bodies being read, swept once a second for those that went silent: one timer for all of them
 * rather than one per request. A silent body is answered 408 and its connection closed, so a
 * client cannot hold sockets open by trickling (or never finishing) a body.
 */
const reading = new Set<ReadableRequest>();
let sweeper: NodeJS.Timeout | null = null;

function watchIdle(req: ReadableRequest): void {
  reading.add(req);
  sweeper ??= setInterval(sweepIdle, 1000).unref();
}

function sweepIdle(): void {
  const now = Date.now();
  for (const req of reading) {
    const r = req[READING];
    if (!r || r.finished) {
      reading.delete(req);
      continue;
    }
    if (now - r.lastAt < r.idleMs) continue;
    reading.delete(req);
    finish(r, new HttpError(408, 'request body timeout'), undefined);
    (req.socket as { destroySoon?: () => void }).destroySoon?.();
  }
  if (reading.size === 0 && sweeper) {
    clearInterval(sweeper);
    sweeper = null;
  }
}

function finish(r: Reading, error: Error | null, body: unknown): void {
  if (r.finished) return;
  r.finished = true;
  r.chunks.length = 0;
  r.done(error, body);
}

function onData(this: ReadableRequest, chunk: Buffer): void {
  const r = this[READING];
  if (!r || r.finished) return;
  r.size += chunk.length;
  if (r.idleMs > 0) r.lastAt = Date.now();
  if (r.size > r.maxBytes) finish(r, new HttpError(413, ERR.bodyTooLarge), undefined);
  else r.chunks.push(chunk);
}

function onError(this: ReadableRequest, e: Error): void {
  const r = this[READING];
  if (r) finish(r, e, undefined);
}

function onEnd(this: ReadableRequest): void {
  const r = this[READING];
  if (!r || r.finished) return;
  if (r.size === 0) return finish(r, null, {});
  const ct = this.headers['content-type'] ?? '';
  // The reference parsed only application/json; agents that forget the header send JSON
  // anyway, so we parse it and reject only what is clearly another media type.
  if (ct && !/json/i.test(ct) && !/^text\/plain/i.test(ct))
    return finish(r, new HttpError(415, ERR.unsupportedMediaType), undefined);
  const chunks = r.chunks;
  const text =
    chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, r.size).toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return finish(r, new HttpError(400, ERR.invalidJson), undefined);
  }
  finish(r, null, body);
}
