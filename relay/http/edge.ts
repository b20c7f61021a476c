/**
 * The outermost layer of the HTTP server: whatever a request or upgrade throws stays inside that
 * request, and one address cannot hold more than its share of open connections.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { addressKey, type ClientIpRule } from './clientIp.js';
import { rawJsonError, sendError } from './respond.js';

/** One line for the operator: the exception's type and where, never its message (request content). */
export function logEdgeError(at: string, e: unknown): void {
  const where = e instanceof Error ? (e.stack ?? '').split('\n')[1]?.trim() : undefined;
  console.error(JSON.stringify({ level: 'error', at, error: e instanceof Error ? e.name : typeof e, where }));
}

/** Run a request handler; an exception answers this request 500 (or closes it) and nothing else. */
export function guardRequest(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    try {
      handler(req, res);
    } catch (e) {
      logEdgeError('request', e);
      if (res.headersSent || req.socket.destroyed) res.destroy();
      else sendError(res, 500, 'internal error');
    }
  };
}

/** The same for upgrades, whose socket nobody else is watching: errors on it must not go unheard. */
export function guardUpgrade(handler: (req: IncomingMessage, socket: Duplex, head: Buffer) => void) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Until ws takes the socket over, a reset from the peer would be an unhandled 'error'.
    socket.on('error', destroySocket);
    try {
      handler(req, socket, head);
    } catch (e) {
      logEdgeError('upgrade', e);
      endAndClose(socket, rawJsonError(500, 'internal error'));
    }
  };
}

function destroySocket(this: Duplex): void {
  this.destroy();
}

/**
 * Write a last answer and close: the server accepts half-open connections, so ending our side
 * alone would leave the descriptor to a peer that never closes its own.
 */
export function endAndClose(socket: Duplex, text: string): void {
  if (!socket.writable) return void socket.destroy();
  socket.end(text, () => socket.destroy());
}

/**
 * Open connections per client address, counted at accept time on the socket's peer (forwarded
 * headers are not read yet). Trusted proxies are exempt: every client behind them shares their
 * address, and their clients are limited per address by the request-level limits instead.
 */
export class ConnectionCap {
  private readonly open = new Map<string, number>();
  /** Sockets over the cap: the HTTP parser may still read a request from them; it is not served. */
  private readonly refusedSockets = new WeakSet<object>();

  constructor(
    private readonly max: number,
    private readonly rule: ClientIpRule,
  ) {}

  /** Count the socket, or refuse it (answered 503 and closed) when its address is at the cap. */
  admit(socket: Socket): void {
    const peer = socket.remoteAddress ?? '';
    if (!peer || this.rule.trust(peer, 0)) return;
    const key = addressKey(peer);
    const n = this.open.get(key) ?? 0;
    if (n >= this.max) {
      this.refusedSockets.add(socket);
      socket.on('error', destroySocket);
      endAndClose(socket, rawJsonError(503, 'too many connections from this address'));
      return;
    }
    this.open.set(key, n + 1);
    socket.once('close', () => {
      const left = (this.open.get(key) ?? 1) - 1;
      if (left <= 0) this.open.delete(key);
      else this.open.set(key, left);
    });
  }

  refused(socket: object): boolean {
    return this.refusedSockets.has(socket);
  }

  count(key: string): number {
    return this.open.get(key) ?? 0;
  }
}
