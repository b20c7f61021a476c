/**
 * A WebSocket room connection for the load generator: one source address each, no compression,
 * no UTF-8 validation (the bench only reads ASCII JSON it can scan), message frames scanned
 * rather than parsed.
 */
import WebSocket from 'ws';
import { deliver, Receiver, scanMessage } from './tracker.js';

export interface WsOptions {
  base: URL;
  host: string;
  room: string;
  localAddress: string | undefined;
  timeoutMs?: number;
}

const scan = { seq: 0, ct24: '' };

export class WsConn extends Receiver {
  private ws: WebSocket | null = null;
  /** This connection's index among the step's receivers (for recognising its own echoes). */
  id = -1;
  errors = 0;
  lastError = '';
  closed = false;

  open(o: WsOptions): Promise<void> {
    const url = `ws://${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.base.port || 80}/api/rooms/${o.room}/ws`;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {
        localAddress: o.localAddress,
        perMessageDeflate: false,
        skipUTF8Validation: true,
        handshakeTimeout: o.timeoutMs ?? 10_000,
      });
      this.ws = ws;
      let ready = false;
      const timer = setTimeout(() => {
        if (!ready) {
          ws.terminate();
          reject(new Error(`no ready frame from ${url} within ${o.timeoutMs ?? 10_000} ms`));
        }
      }, o.timeoutMs ?? 10_000);
      ws.on('message', (data: Buffer) => {
        const text = data.toString('latin1');
        if (scanMessage(text, scan)) return deliver(this, this.id, scan.seq, scan.ct24);
        if (text.indexOf('"type":"ready"') >= 0 && !ready) {
          ready = true;
          clearTimeout(timer);
          resolve();
        } else if (text.indexOf('"type":"error"') >= 0) {
          this.errors++;
          this.lastError = text;
          if (this.step) this.step.rejected++;
        }
      });
      ws.on('error', (e) => {
        if (!ready) {
          clearTimeout(timer);
          reject(e);
        }
      });
      ws.on('close', () => {
        this.closed = true;
        if (!ready) {
          clearTimeout(timer);
          reject(new Error(`closed before ready: ${url}`));
        }
      });
    });
  }

  send(text: string): void {
    this.ws?.send(text);
  }

  /** Bytes queued in this client's socket, to notice a load generator that cannot keep up. */
  get buffered(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  close(): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2000);
      ws.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      ws.close();
    });
  }

  terminate(): void {
    this.ws?.terminate();
  }
}

/** Open many connections with bounded concurrency (a connect storm measures nothing useful). */
export async function openAll<T>(
  items: T[],
  open: (item: T) => Promise<void>,
  concurrency = 64,
): Promise<void> {
  let i = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (i < items.length) {
      const item = items[i++]!;
      await open(item);
    }
  });
  await Promise.all(workers);
}
