/**
 * Book-keeping for open streams of both kinds: the per-IP and global caps, and the single
 * keepalive / liveness timer (one timer for all streams, not one per stream).
 */
import type { ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import { LIMITS } from '../../protocol/index.js';
import type { RelayLimits } from '../config.js';
import { Counter } from '../limits/rateLimit.js';
import type { Subscriber } from '../rooms/subscriber.js';

export class StreamRegistry {
  private readonly perIp = new Counter();
  private total = 0;
  private readonly sse = new Map<Subscriber, ServerResponse>();
  private readonly sockets = new Set<WebSocket>();
  private readonly alive = new WeakSet<WebSocket>();
  private readonly timer: NodeJS.Timeout;
  private tick = 0;

  constructor(private readonly limits: RelayLimits) {
    // SSE keepalive every 15 s; WebSocket ping every other tick (30 s), dropping sockets that
    // never answered the previous ping.
    this.timer = setInterval(() => this.keepalive(), LIMITS.sseKeepaliveMs);
    this.timer.unref();
  }

  acquire(ip: string): boolean {
    if (this.total >= this.limits.streamsMax) return false;
    if (!this.perIp.tryAcquire(ip, this.limits.streamsPerIp)) return false;
    this.total++;
    return true;
  }

  release(ip: string, sub?: Subscriber): void {
    if (sub && this.sse.has(sub)) this.sse.delete(sub);
    this.perIp.release(ip);
    this.total--;
  }

  trackSse(sub: Subscriber, res: ServerResponse): void {
    this.sse.set(sub, res);
  }

  trackWs(ws: WebSocket): void {
    this.sockets.add(ws);
    this.alive.add(ws);
    ws.on('pong', () => this.alive.add(ws));
    ws.on('close', () => this.sockets.delete(ws));
  }

  get count(): number {
    return this.total;
  }

  close(): void {
    clearInterval(this.timer);
    for (const res of this.sse.values()) res.end();
    for (const ws of this.sockets) ws.terminate();
  }

  private keepalive(): void {
    for (const res of this.sse.values()) res.write(': keepalive\n\n');
    if (++this.tick % 2 !== 0) return;
    for (const ws of this.sockets) {
      if (!this.alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.alive.delete(ws);
      ws.ping();
    }
  }
}
