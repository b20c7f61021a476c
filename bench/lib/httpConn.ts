/**
 * A minimal HTTP/1.1 keep-alive client over one TCP connection, one request in flight. The load
 * generator shares a core budget with nothing but itself, so it must spend far less per request
 * than the server does; node:http's client costs about as much as its server, which would make
 * the bench measure itself. Requests are written as prebuilt text; responses are parsed just far
 * enough to get status and body (Content-Length or chunked).
 */
import net from 'node:net';

export interface HttpResponse {
  status: number;
  body: string;
}

export class HttpConn {
  private sock: net.Socket | null = null;
  private buf: Buffer = Buffer.alloc(0);
  private pending: { resolve: (r: HttpResponse) => void; reject: (e: Error) => void } | null = null;
  private connecting: Promise<void> | null = null;
  busy = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly localAddress: string | undefined,
  ) {}

  private connect(): Promise<void> {
    if (this.sock && !this.sock.destroyed) return Promise.resolve();
    if (this.connecting) return this.connecting;
    this.connecting = new Promise((resolve, reject) => {
      const s = net.connect({ host: this.host, port: this.port, localAddress: this.localAddress });
      s.setNoDelay(true);
      s.once('connect', () => {
        this.sock = s;
        this.connecting = null;
        resolve();
      });
      s.on('data', (d: Buffer) => this.onData(d));
      s.on('error', (e) => {
        this.connecting = null;
        if (this.sock !== s) reject(e);
        this.fail(e);
      });
      s.on('close', () => {
        if (this.sock === s) this.sock = null;
        this.buf = Buffer.alloc(0);
        this.fail(new Error('connection closed'));
      });
    });
    return this.connecting;
  }

  private fail(e: Error): void {
    const p = this.pending;
    this.pending = null;
    this.busy = false;
    p?.reject(e);
  }

  warm(): Promise<void> {
    return this.busy ? Promise.resolve() : this.connect();
  }

  /** `headers`: extra header lines, each ending in CRLF (e.g. an Authorization line). */
  async request(method: string, path: string, body?: string, headers = ''): Promise<HttpResponse> {
    if (this.busy) throw new Error('HttpConn: one request at a time');
    this.busy = true;
    try {
      await this.connect();
    } catch (e) {
      this.busy = false;
      throw e;
    }
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      let head = `${method} ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\n${headers}`;
      if (body !== undefined)
        head += `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      else head += '\r\n';
      this.sock!.write(head);
    });
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0 || !this.pending) return;
    const head = this.buf.toString('latin1', 0, end);
    const status = Number(head.slice(9, 12));
    const lower = head.toLowerCase();
    const cl = /\r\ncontent-length:\s*(\d+)/.exec(lower);
    let body: string;
    let consumed: number;
    if (cl) {
      const len = Number(cl[1]);
      if (this.buf.length < end + 4 + len) return;
      body = this.buf.toString('utf8', end + 4, end + 4 + len);
      consumed = end + 4 + len;
    } else if (lower.includes('\r\ntransfer-encoding: chunked')) {
      const parsed = parseChunked(this.buf, end + 4);
      if (!parsed) return;
      body = parsed.body;
      consumed = parsed.end;
    } else {
      return; // a streaming response; the bench never sends one over HttpConn
    }
    this.buf = this.buf.length > consumed ? this.buf.subarray(consumed) : Buffer.alloc(0);
    const p = this.pending;
    this.pending = null;
    this.busy = false;
    if (/\r\nconnection:\s*close/.test(lower)) this.sock?.destroy();
    p.resolve({ status, body });
  }

  close(): void {
    this.sock?.destroy();
    this.sock = null;
  }
}

function parseChunked(buf: Buffer, start: number): { body: string; end: number } | null {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const nl = buf.indexOf('\r\n', at);
    if (nl < 0) return null;
    const size = parseInt(buf.toString('latin1', at, nl), 16);
    if (!Number.isFinite(size)) return null;
    if (size === 0) {
      const fin = buf.indexOf('\r\n', nl + 2);
      if (fin < 0) return null;
      return { body: Buffer.concat(parts).toString('utf8'), end: fin + 2 };
    }
    if (buf.length < nl + 2 + size + 2) return null;
    parts.push(buf.subarray(nl + 2, nl + 2 + size));
    at = nl + 2 + size + 2;
  }
}
