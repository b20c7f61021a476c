import type { ServerResponse } from 'node:http';
import type { ErrorBody } from '../../protocol/index.js';

/**
 * Headers on every response, errors included (reference-relay.md §8). The CSP allows what the
 * web app needs and nothing from other origins.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Permissions-Policy': 'clipboard-read=(self), clipboard-write=(self)',
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'Cross-Origin-Opener-Policy': 'same-origin',
};

export function applySecurityHeaders(res: ServerResponse): void {
  for (const k in SECURITY_HEADERS) res.setHeader(k, SECURITY_HEADERS[k]!);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string | number>): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.setHeader('Cache-Control', 'no-store');
  if (headers) for (const k in headers) res.setHeader(k, headers[k]!);
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, error: string, extra?: Omit<ErrorBody, 'error'>, retryAfterS?: number): void {
  sendJson(res, status, extra ? { error, ...extra } : { error }, retryAfterS === undefined ? undefined : { 'Retry-After': retryAfterS });
}

export function sendText(res: ServerResponse, status: number, contentType: string, text: string | Buffer, cacheControl = 'no-store', extra?: Record<string, string>): void {
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', typeof text === 'string' ? Buffer.byteLength(text) : text.length);
  res.setHeader('Cache-Control', cacheControl);
  if (extra) for (const k in extra) res.setHeader(k, extra[k]!);
  res.end(text);
}

/** A refusal a handler can throw; the router turns it into the JSON error response. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly retryAfterS?: number,
    readonly extra?: Record<string, unknown>,
  ) {
    super(error);
  }
}
