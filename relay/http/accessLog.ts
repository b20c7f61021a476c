/**
 * The access log: method and route pattern per request, never an id, query or body. Lines are
 * buffered and written in batches, because a synchronous console.log per request cost a few
 * percent of the relay's time under load (docs/PERFORMANCE.md).
 */
const FLUSH_MS = 200;
const MAX_BUFFERED = 64 * 1024;

export class AccessLog {
  private buf = '';
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  line(method: string, pattern: string): void {
    this.buf += `${method} ${pattern}\n`;
    if (this.buf.length >= MAX_BUFFERED) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.buf) return;
    this.out.write(this.buf);
    this.buf = '';
  }
}
