import type { IncomingMessage } from 'node:http';
import { ERR } from '../../protocol/index.js';
import { HttpError } from './respond.js';

/**
 * Read a JSON body under a byte cap, then call `done` once with the parsed value or an
 * HttpError. Too large → 413, not JSON → 400, both as JSON errors (the reference answered these
 * with Express's HTML page). A missing body reads as `{}` so that the route's own validation
 * names what is missing. A callback rather than a promise: this runs for every post, and the
 * promise and its microtask hop were measurable there (docs/PERFORMANCE.md).
 */
export function readJsonBody(req: IncomingMessage, maxBytes: number, done: (err: unknown, value?: unknown) => void): void {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) {
    req.resume();
    done(new HttpError(413, ERR.bodyTooLarge));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  const settle = (err: unknown, value?: unknown) => {
    if (settled) return;
    settled = true;
    done(err, value);
  };
  req.on('data', (chunk: Buffer) => {
    if (settled) return;
    size += chunk.length;
    if (size > maxBytes) return settle(new HttpError(413, ERR.bodyTooLarge));
    chunks.push(chunk);
  });
  req.on('error', (e) => settle(e));
  req.on('end', () => {
    if (settled) return;
    if (size === 0) return settle(null, {});
    const ct = req.headers['content-type'] ?? '';
    // The reference parsed only application/json; agents that forget the header send JSON
    // anyway, so we parse it and reject only what is clearly another media type.
    if (ct && !/json/i.test(ct) && !/^text\/plain/i.test(ct)) return settle(new HttpError(415, ERR.unsupportedMediaType));
    const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return settle(new HttpError(400, ERR.invalidJson));
    }
    settle(null, value);
  });
}
