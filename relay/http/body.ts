import type { IncomingMessage } from 'node:http';
import { ERR } from '../../protocol/index.js';
import { HttpError } from './respond.js';

/**
 * Read a JSON body under a byte cap. Too large → 413, not JSON → 400, both as JSON errors (the
 * reference answered these with Express's HTML page). A missing body reads as `{}` so that the
 * route's own validation names what is missing.
 */
export function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > maxBytes) {
    req.resume();
    return Promise.reject(new HttpError(413, ERR.bodyTooLarge));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        reject(new HttpError(413, ERR.bodyTooLarge));
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
    });
    req.on('end', () => {
      if (failed) return;
      if (size === 0) return resolve({});
      const ct = req.headers['content-type'] ?? '';
      // The reference parsed only application/json; agents that forget the header send JSON
      // anyway, so we parse it and reject only what is clearly another media type.
      if (ct && !/json/i.test(ct) && !/^text\/plain/i.test(ct)) return reject(new HttpError(415, ERR.unsupportedMediaType));
      const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new HttpError(400, ERR.invalidJson));
      }
    });
  });
}
