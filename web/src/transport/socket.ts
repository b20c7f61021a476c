/**
 * The receive side: one WebSocket per room (reference-client.md §7, with its fixes). Sends a
 * `hello` on every open, `listening` every 15 s, resumes with `after=<last seq>`, reconnects with
 * capped jittered backoff forever, and retries at once on `online` and when the tab becomes
 * visible. A `hello` every 60 s doubles as a liveness probe: the relay answers it with a presence
 * broadcast, so silence means a half-open socket.
 */
import { WS_CLOSE } from '@protocol/closeCodes.js';
import { LIMITS } from '@protocol/limits.js';
import { parseServerFrame, type HelloFrame, type ServerFrame } from '@protocol/schemas/frames.js';

export type ConnStatus = 'connecting' | 'online' | 'reconnecting';

export interface SocketOptions {
  roomId: string;
  /** Highest seq already held; 0 replays the whole buffer. */
  getAfter: () => number;
  hello: () => HelloFrame;
  onFrame: (f: ServerFrame) => void;
  onStatus: (s: ConnStatus, detail?: { attempt: number; retryInMs?: number }) => void;
  /** Override for tests; defaults to the page's own origin. */
  baseUrl?: string;
}

export const BACKOFF_CAP_MS = 30_000;
const PROBE_INTERVAL_MS = 60_000;
const PROBE_TIMEOUT_MS = 10_000;

/** base = min(cap, 500·1.8^n), plus up to 40 % jitter. */
export function backoffDelay(attempt: number, rand: () => number = Math.random): number {
  const base = Math.min(BACKOFF_CAP_MS, 500 * 1.8 ** attempt);
  return Math.round(base + rand() * 0.4 * base);
}

export class RoomSocket {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private stopped = true;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private listenTimer: ReturnType<typeof setInterval> | null = null;
  private probeTimer: ReturnType<typeof setInterval> | null = null;
  private probeDeadline: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly opts: SocketOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.onWake);
    document.addEventListener('visibilitychange', this.onVisible);
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener('online', this.onWake);
    document.removeEventListener('visibilitychange', this.onVisible);
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    ws?.close(WS_CLOSE.normal, 'leaving');
  }

  /** The user pressed Retry, the network came back, or the tab became visible. */
  retryNow(): void {
    if (this.stopped) return;
    if (this.ws && (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING))
      return;
    this.attempt = 0;
    this.connect();
  }

  sendHello(): void {
    this.send(this.opts.hello());
  }

  private send(frame: object): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  private readonly onWake = () => this.retryNow();
  private readonly onVisible = () => {
    if (document.visibilityState === 'visible') this.retryNow();
  };

  private url(): string {
    const base = this.opts.baseUrl ?? location.origin;
    const u = new URL(`/api/rooms/${encodeURIComponent(this.opts.roomId)}/ws`, base);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    const after = this.opts.getAfter();
    if (after > 0) u.searchParams.set('after', String(after));
    return u.toString();
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.listenTimer) clearInterval(this.listenTimer);
    if (this.probeTimer) clearInterval(this.probeTimer);
    if (this.probeDeadline) clearTimeout(this.probeDeadline);
    this.retryTimer = this.listenTimer = this.probeTimer = this.probeDeadline = null;
  }

  private connect(): void {
    this.clearTimers();
    this.opts.onStatus(this.attempt === 0 ? 'connecting' : 'reconnecting', { attempt: this.attempt });
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      this.sendHello();
      this.listenTimer = setInterval(() => this.send({ type: 'listening' }), LIMITS.wsListeningIntervalMs);
      this.probeTimer = setInterval(() => this.probe(), PROBE_INTERVAL_MS);
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws || typeof ev.data !== 'string') return;
      const frame = parseServerFrame(ev.data);
      if (!frame) return;
      if (frame.type === 'presence' && this.probeDeadline) {
        clearTimeout(this.probeDeadline);
        this.probeDeadline = null;
      }
      if (frame.type === 'ready') this.opts.onStatus('online', { attempt: 0 });
      this.opts.onFrame(frame);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.scheduleReconnect();
    };
    ws.onerror = () => {
      // A close event always follows; reconnecting happens there.
    };
  }

  private probe(): void {
    this.sendHello();
    if (this.probeDeadline) return;
    this.probeDeadline = setTimeout(() => {
      this.probeDeadline = null;
      this.ws?.close(WS_CLOSE.livenessTimeout, 'liveness probe timed out');
    }, PROBE_TIMEOUT_MS);
  }

  private scheduleReconnect(): void {
    this.clearTimers();
    if (this.stopped) return;
    this.attempt++;
    const delay = backoffDelay(this.attempt);
    this.opts.onStatus('reconnecting', { attempt: this.attempt, retryInMs: delay });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}
