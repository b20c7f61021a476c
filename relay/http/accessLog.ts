/**
 * The access log: method and route pattern per request, never an id, query or body. Lines are
 * buffered and written in batches, because a synchronous console.log per request cost a few
 * percent of the relay's time under load (docs/PERFORMANCE.md).
 *
 * There are only a few dozen distinct lines (method × route pattern), so each is built once and a
 * request only appends a reference to it. Appending text instead (`buf += line`) made two or three
 * new strings per request that lived until the next flush, long enough for the young-generation
 * collector to copy them, and under HTTP ingest that was about 1.5 µs of GC per request.
 */
const FLUSH_MS = 200;
const MAX_BUFFERED_LINES = 2048;

export class AccessLog {
  private readonly lines: string[] = [];
  private readonly known = new Map<string, Map<string, string>>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  line(method: string, pattern: string): void {
    this.lines.push(this.text(method, pattern));
    if (this.lines.length >= MAX_BUFFERED_LINES) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.lines.length === 0) return;
    this.out.write(this.lines.join(''));
    this.lines.length = 0;
  }

  private text(method: string, pattern: string): string {
    let byMethod = this.known.get(pattern);
    if (!byMethod) {
      byMethod = new Map();
      this.known.set(pattern, byMethod);
    }
    let text = byMethod.get(method);
    if (text === undefined) {
      // `method` is whatever the client sent; only a bounded set of them gets a cached line.
      text = `${method} ${pattern}\n`;
      if (byMethod.size < 16) byMethod.set(method, text);
    }
    return text;
  }
}
