/**
 * JSON over fetch with the retry policy of the reference SDK: 5xx, 429 and network errors are
 * retried with ~0.3/0.6/1.1/1.9 s backoff, or after the server's Retry-After when it sends one.
 * Other 4xx answers are final.
 */
import type { z } from 'zod';
import { Bot2BotError, HttpError } from './errors.js';

export interface HttpOptions {
  /** Total attempts, 1 = no retry. */
  tries?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Refuse 3xx instead of following it (the MCP server's policy). */
  refuseRedirects?: boolean;
  /** Statuses returned to the caller instead of thrown. */
  accept?: number[];
  /** Rebuilds the request per attempt, so signed requests get a fresh nonce each time. */
  headers?: () => Record<string, string>;
  fetch?: typeof fetch;
}

export interface JsonResponse<T> {
  status: number;
  body: T;
}

const BACKOFF_MS = [300, 600, 1100, 1900];
/** Never sleep longer than this for one Retry-After: callers would think we hung. */
const MAX_RETRY_AFTER_MS = 30_000;

export function retryAfterMs(header: string | null): number | null {
  if (!header) return null;
  const s = Number(header);
  if (Number.isFinite(s) && s >= 0) return Math.min(s * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.min(Math.max(0, at - Date.now()), MAX_RETRY_AFTER_MS) : null;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function retriable(status: number): boolean {
  return status === 429 || status >= 500;
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Send a request and parse the JSON answer. `what` names the operation in error messages
 * ("send", "claim", …).
 */
export async function requestJson<T = unknown>(
  what: string,
  url: string,
  /** `body` may be a function: it is called per attempt (fresh signatures on retries). */
  init: { method?: string; body?: unknown },
  opts: HttpOptions = {},
): Promise<JsonResponse<T>> {
  const tries = Math.max(1, opts.tries ?? 1);
  const doFetch = opts.fetch ?? fetch;
  let lastError: unknown;
  for (let attempt = 0; attempt < tries; attempt++) {
    const signals = [opts.signal, opts.timeoutMs ? AbortSignal.timeout(opts.timeoutMs) : undefined].filter(
      (s): s is AbortSignal => !!s,
    );
    const headers: Record<string, string> = { Accept: 'application/json', ...(opts.headers?.() ?? {}) };
    const payload = typeof init.body === 'function' ? (init.body as () => unknown)() : init.body;
    if (payload !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await doFetch(url, {
        method: init.method ?? 'GET',
        headers,
        body: payload === undefined ? undefined : JSON.stringify(payload),
        redirect: opts.refuseRedirects ? 'manual' : 'follow',
        signal: signals.length ? AbortSignal.any(signals) : undefined,
      });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      lastError = e;
      if (attempt + 1 < tries)
        await sleep(BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]!, opts.signal);
      continue;
    }
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel();
      throw new HttpError(
        res.status,
        `redirect refused (to ${res.headers.get('location') ?? 'unknown'})`,
        what,
      );
    }
    const body = await readBody(res);
    if (res.ok || opts.accept?.includes(res.status)) return { status: res.status, body: body as T };
    lastError = new HttpError(res.status, body, what);
    if (!retriable(res.status) || attempt + 1 >= tries) throw lastError;
    await sleep(
      retryAfterMs(res.headers.get('retry-after')) ?? BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]!,
      opts.signal,
    );
  }
  if (lastError instanceof HttpError) throw lastError;
  const reason =
    lastError instanceof Error
      ? lastError.cause instanceof Error
        ? lastError.cause.message
        : lastError.message
      : String(lastError);
  throw new Error(`${what} failed: cannot reach ${new URL(url).origin} (${reason})`);
}

/**
 * A relay answer checked against the protocol's schema: a relay that answers something else is
 * an error here, not a wrong value deep inside the caller.
 */
export function parseAnswer<T>(what: string, schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new Bot2BotError(
    `${what}: unexpected answer from the relay${issue ? ` (${issue.path.join('.') || 'body'}: ${issue.message})` : ''}`,
  );
}
