import type { ServerResponse } from 'node:http';
import type { ErrorBody } from '../../protocol/index.js';

/** What every answer carries, page or data (reference-relay.md §8). */
const BASE_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/**
 * Pages, streams and raw errors: the CSP allows what the web app needs and nothing from other
 * origins. JSON answers get API_HEADERS below.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  ...BASE_HEADERS,
  'Permissions-Policy': 'clipboard-read=(self), clipboard-write=(self)',
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** For responses built up with setHeader (static files). */
export function applySecurityHeaders(res: ServerResponse): void {
  for (const k in SECURITY_HEADERS) res.setHeader(k, SECURITY_HEADERS[k]!);
}

/**
 * API answers are data, never rendered, so they get the policy that allows nothing instead of the
 * web app's. Permissions-Policy and COOP act only on documents and are left off: on the hottest
 * path (a post's answer) they were two more headers for Node to validate and ~150 bytes to send.
 */
const API_HEADERS: Readonly<Record<string, string>> = {
  ...BASE_HEADERS,
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
};

const JSON_HEADERS: Readonly<Record<string, string>> = {
  ...API_HEADERS,
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
};

/**
 * The same, flattened the way writeHead also takes them, with a Content-Length slot at the end:
 * copying an array of the final length is cheaper than spreading an object or growing one.
 */
const JSON_HEADER_LIST: readonly (string | number)[] = [
  ...Object.entries(JSON_HEADERS).flat(),
  'Content-Length',
  0,
];

/**
 * Every API answer goes out in one writeHead with the security headers included: cheaper than a
 * dozen setHeader calls per request on the hot path, and no response can leave without them.
 * `headers` may override the defaults (Cache-Control) or add to them (Retry-After).
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Record<string, string | number>,
): void {
  sendJsonText(res, status, JSON.stringify(body), headers);
}

/** sendJson for a body the caller has already serialized (the hottest answers build their own). */
export function sendJsonText(
  res: ServerResponse,
  status: number,
  text: string,
  headers?: Record<string, string | number>,
): void {
  if (headers) {
    res.writeHead(status, { ...JSON_HEADERS, 'Content-Length': Buffer.byteLength(text), ...headers });
  } else {
    const h = JSON_HEADER_LIST.slice();
    h[h.length - 1] = Buffer.byteLength(text);
    res.writeHead(status, h);
  }
  res.end(text);
}

/** The head of a JSON answer written in pieces (chunked): the same headers, no Content-Length. */
export function writeJsonHead(res: ServerResponse, status: number): void {
  res.writeHead(status, JSON_HEADERS);
}

export function sendError(
  res: ServerResponse,
  status: number,
  error: string,
  extra?: Omit<ErrorBody, 'error'>,
  retryAfterS?: number,
): void {
  sendJson(
    res,
    status,
    extra ? { error, ...extra } : { error },
    retryAfterS === undefined ? undefined : { 'Retry-After': retryAfterS },
  );
}

export function sendText(
  res: ServerResponse,
  status: number,
  contentType: string,
  text: string | Buffer,
  cacheControl = 'no-store',
  extra?: Record<string, string>,
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': contentType,
    'Content-Length': typeof text === 'string' ? Buffer.byteLength(text) : text.length,
    'Cache-Control': cacheControl,
    ...extra,
  });
  res.end(text);
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * A complete HTTP/1.1 JSON error written straight to a socket, for the two places that answer
 * below the HTTP server: malformed requests and refused WebSocket upgrades.
 */
export function rawJsonError(status: number, error: string, retryAfterS?: number): string {
  const body = JSON.stringify({ error });
  let head = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\n`;
  if (retryAfterS !== undefined) head += `Retry-After: ${retryAfterS}\r\n`;
  for (const k in SECURITY_HEADERS) head += `${k}: ${SECURITY_HEADERS[k]}\r\n`;
  return `${head}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
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
