/**
 * A pool of keep-alive connections, each from its own source address, one request in flight
 * on each. Free connections are used round-robin (FIFO), so the per-address rate stays even and
 * under the relay's per-IP buckets; when every connection is busy, requests queue here and the
 * queueing shows up in the measured latency, as it would for a real client.
 */
import { HttpConn, type HttpResponse } from './httpConn.js';
import type { SourcePool } from './loopback.js';

type Job = {
  method: string;
  path: string;
  body: string | undefined;
  done: (r: HttpResponse | Error) => void;
};

export class HttpPool {
  private readonly conns: HttpConn[] = [];
  private readonly free: HttpConn[] = [];
  private freeHead = 0;
  private readonly queue: Job[] = [];
  private queueHead = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly sources: SourcePool,
  ) {}

  get size(): number {
    return this.conns.length;
  }

  /** Grow to at least n connections (they connect lazily on first use). */
  grow(n: number): void {
    while (this.conns.length < n) {
      const c = new HttpConn(this.host, this.port, this.sources.take());
      this.conns.push(c);
      this.free.push(c);
    }
  }

  /** Open every idle connection now, so connection set-up is not timed as latency. */
  async warm(): Promise<void> {
    await Promise.all(this.conns.map((c) => c.warm()));
  }

  request(
    method: string,
    path: string,
    body: string | undefined,
    done: (r: HttpResponse | Error) => void,
  ): void {
    const conn = this.takeFree();
    if (conn) this.run(conn, { method, path, body, done });
    else this.queue.push({ method, path, body, done });
  }

  get queued(): number {
    return this.queue.length - this.queueHead;
  }

  private takeFree(): HttpConn | undefined {
    if (this.freeHead >= this.free.length) return undefined;
    const c = this.free[this.freeHead++];
    if (this.freeHead > 1024 && this.freeHead * 2 > this.free.length) {
      this.free.splice(0, this.freeHead);
      this.freeHead = 0;
    }
    return c;
  }

  private run(conn: HttpConn, job: Job): void {
    conn.request(job.method, job.path, job.body).then(
      (r) => this.finish(conn, job, r),
      (e: Error) => this.finish(conn, job, e),
    );
  }

  private finish(conn: HttpConn, job: Job, r: HttpResponse | Error): void {
    if (this.queueHead < this.queue.length) {
      const next = this.queue[this.queueHead++]!;
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      this.run(conn, next);
    } else {
      this.free.push(conn);
    }
    job.done(r);
  }

  close(): void {
    for (const c of this.conns) c.close();
  }
}
