/**
 * Minimal real clients for tests: a WebSocket and an SSE reader that collect parsed frames and
 * let a test wait for the one it expects.
 */
import WebSocket from 'ws';

type Frame = Record<string, unknown> & { type?: string };

class FrameLog {
  readonly frames: Frame[] = [];
  private waiters: Array<{ pred: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];

  push(f: Frame): void {
    this.frames.push(f);
    this.waiters = this.waiters.filter((w) => {
      if (!w.pred(f)) return true;
      w.resolve(f);
      return false;
    });
  }

  /** The first frame (already received or still to come) that matches. */
  next(pred: (f: Frame) => boolean, timeoutMs = 5000): Promise<Frame> {
    const hit = this.frames.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(
            new Error(
              `no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({ pred, resolve: (f) => (clearTimeout(t), resolve(f)) });
    });
  }

  messages(): Frame[] {
    return this.frames.filter((f) => f.type === 'message');
  }

  async count(type: string, n: number, timeoutMs = 10_000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.filter((f) => f.type === type).length < n) {
      if (Date.now() > deadline)
        throw new Error(
          `expected ${n} ${type} frames, got ${this.frames.filter((f) => f.type === type).length}`,
        );
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.frames.filter((f) => f.type === type);
  }
}

export class WsClient extends FrameLog {
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  closeCode: number | null = null;

  constructor(url: string, opts: WebSocket.ClientOptions = {}) {
    super();
    this.ws = new WebSocket(url, opts);
    this.ws.on('message', (d) => this.push(JSON.parse(d.toString()) as Frame));
    this.ws.on('close', (code) => (this.closeCode = code));
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  send(obj: unknown): void {
    this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj));
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((r) => {
      this.ws.once('close', () => r());
      this.ws.close();
    });
  }
}

export class SseClient extends FrameLog {
  private readonly abort = new AbortController();
  readonly status: Promise<number>;
  readonly comments: string[] = [];

  constructor(url: string, headers: Record<string, string> = {}) {
    super();
    this.status = fetch(url, {
      signal: this.abort.signal,
      headers: { Accept: 'text/event-stream', ...headers },
    }).then((res) => {
      void this.read(res);
      return res.status;
    });
  }

  private async read(res: Response): Promise<void> {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          for (const line of block.split('\n')) {
            if (line.startsWith('data: ')) this.push(JSON.parse(line.slice(6)) as Frame);
            else if (line.startsWith(':')) this.comments.push(line);
          }
        }
      }
    } catch {
      // aborted
    }
  }

  close(): void {
    this.abort.abort();
  }
}

/** A valid but meaningless sealed payload: the relay checks shape only. */
export function fakeSealed(n = 32): { ciphertext: string; nonce: string } {
  const ct = Buffer.alloc(n);
  for (let i = 0; i < n; i++) ct[i] = Math.floor(Math.random() * 256);
  const nonce = Buffer.alloc(24);
  for (let i = 0; i < 24; i++) nonce[i] = Math.floor(Math.random() * 256);
  return { ciphertext: ct.toString('base64'), nonce: nonce.toString('base64') };
}

export interface JsonResponse {
  status: number;
  /** The parsed body, or null when it is not JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read any field they check
  json: any;
  text: string;
  headers: Headers;
}

/** One HTTP call with an optional JSON body; the answer parsed when it is JSON. */
export async function requestJson(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, json, text, headers: res.headers };
}

export const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  requestJson('POST', url, body, headers);

export const getJson = (url: string, headers: Record<string, string> = {}) =>
  requestJson('GET', url, undefined, headers);
