/**
 * Book-keeping for open streams of both kinds: the per-IP and global caps, and one SSE keepalive
 * timer for all streams rather than one per stream.
 */
import type { ServerResponse } from 'node:http';
import { LIMITS } from '../../protocol/index.js';
import type { RelayLimits } from '../config.js';
import { Counter } from '../limits/rateLimit.js';
import type { Subscriber } from '../rooms/subscriber.js';

const KEEPALIVE = Buffer.from(': keepalive\n\n');

export class StreamRegistry {
  private readonly perIp = new Counter();
  private total = 0;
  private readonly sse = new Map<Subscriber, ServerResponse>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly limits: RelayLimits) {
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

  get count(): number {
    return this.total;
  }

  get sseCount(): number {
    return this.sse.size;
  }

  close(): void {
    clearInterval(this.timer);
    for (const res of this.sse.values()) res.end();
  }

  /** SSE keepalive comments; they also surface dead sockets. (WebSockets ping in ws.ts.) */
  private keepalive(): void {
    for (const res of this.sse.values()) res.write(KEEPALIVE);
  }
}
