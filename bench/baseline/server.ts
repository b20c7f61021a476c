/**
 * The baseline relay: the same routes and frames as ours, and nothing else. No validation, no
 * limits, no presence, no replay cap beyond a bounded buffer. It answers "what can Node and `ws`
 * do on this machine at all", so every relay figure can be read as a ratio to it.
 *
 * It is written the way a careful minimal server would be: each message serialized once into
 * one Buffer that every subscriber is sent, and nothing allocated per delivery.
 *
 * Run: `node --import tsx bench/baseline/server.ts` with PORT and HOST in the environment.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';

const RECENT_MAX = 2000;
const BODY_MAX = 192 * 1024;
const ROOM_PATH = /^\/api\/rooms\/([A-Za-z0-9_-]{4,64})\/(messages|ws|events|wait)$/;

interface Msg {
  seq: number;
  id: string;
  sender: string;
  sender_verified: false;
  ciphertext: string;
  nonce: string;
  ts: number;
}

interface Room {
  nextSeq: number;
  recent: Msg[];
  ws: Set<WebSocket>;
  sse: Set<http.ServerResponse>;
  waiters: Set<(m: Msg) => void>;
}

const rooms = new Map<string, Room>();

function room(id: string): Room {
  let r = rooms.get(id);
  if (!r) {
    r = { nextSeq: Date.now(), recent: [], ws: new Set(), sse: new Set(), waiters: new Set() };
    rooms.set(id, r);
  }
  return r;
}

function dropIfEmpty(id: string, r: Room): void {
  if (r.ws.size === 0 && r.sse.size === 0 && r.waiters.size === 0 && r.recent.length === 0) rooms.delete(id);
}

function lastSeq(r: Room): number {
  return r.recent.length ? r.recent[r.recent.length - 1]!.seq : 0;
}

function post(r: Room, body: Record<string, unknown>, fallbackSender: string): Msg {
  const m: Msg = {
    seq: r.nextSeq++,
    id: randomUUID(),
    sender: typeof body.sender === 'string' && body.sender ? body.sender : fallbackSender,
    sender_verified: false,
    ciphertext: String(body.ciphertext),
    nonce: String(body.nonce),
    ts: Date.now(),
  };
  r.recent.push(m);
  // Amortized trim: cut back to the cap only when it is exceeded by half again.
  if (r.recent.length > RECENT_MAX * 1.5) r.recent.splice(0, r.recent.length - RECENT_MAX);
  const json = '{"type":"message",' + JSON.stringify(m).slice(1);
  if (r.ws.size) {
    const buf = Buffer.from(json);
    for (const s of r.ws) if (s.readyState === WebSocket.OPEN) s.send(buf, { binary: false });
  }
  if (r.sse.size) {
    const frame = Buffer.from('data: ' + json + '\n\n');
    for (const res of r.sse) res.write(frame);
  }
  if (r.waiters.size) {
    const ws = [...r.waiters];
    r.waiters.clear();
    for (const w of ws) w(m);
  }
  return m;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: http.IncomingMessage, done: (body: Record<string, unknown> | null) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= BODY_MAX) chunks.push(c);
  });
  req.on('end', () => {
    if (size > BODY_MAX) return done(null);
    try {
      const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      done(v && typeof v === 'object' ? (v as Record<string, unknown>) : null);
    } catch {
      done(null);
    }
  });
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const m = ROOM_PATH.exec(url.pathname);
  if (!m) return json(res, 404, { error: 'not found' });
  const id = m[1]!;
  const route = m[2]!;
  if (route === 'messages' && req.method === 'POST') {
    return readBody(req, (body) => {
      if (!body) return json(res, 400, { error: 'bad message' });
      const msg = post(room(id), body, 'agent');
      json(res, 200, { ok: true, id: msg.id, seq: msg.seq });
    });
  }
  if (route === 'events' && req.method === 'GET') {
    const after = Number(url.searchParams.get('after')) || 0;
    const r = room(id);
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
    });
    for (const msg of r.recent)
      if (msg.seq > after) res.write('data: {"type":"message",' + JSON.stringify(msg).slice(1) + '\n\n');
    res.write(
      'data: ' +
        JSON.stringify({
          type: 'ready',
          roomId: id,
          size: r.ws.size + r.sse.size + 1,
          last_seq: lastSeq(r),
        }) +
        '\n\n',
    );
    r.sse.add(res);
    req.socket.setNoDelay(true);
    res.on('close', () => {
      r.sse.delete(res);
      dropIfEmpty(id, r);
    });
    return;
  }
  if (route === 'wait' && req.method === 'GET') {
    const after = Number(url.searchParams.get('after')) || 0;
    const timeoutS = Math.min(90, Math.max(1, Number(url.searchParams.get('timeout')) || 30));
    const r = rooms.get(id);
    if (!r) return json(res, 200, { messages: [], last_seq: 0, exists: false });
    const newer = r.recent.filter((x) => x.seq > after).slice(0, 500);
    if (newer.length) return json(res, 200, { messages: newer, last_seq: lastSeq(r) });
    const wake = (msg: Msg) => {
      clearTimeout(timer);
      json(res, 200, { messages: [{ type: 'message', ...msg }], last_seq: lastSeq(r) });
    };
    const timer = setTimeout(() => {
      r.waiters.delete(wake);
      json(res, 200, { messages: [], last_seq: lastSeq(r) });
    }, timeoutS * 1000);
    r.waiters.add(wake);
    res.on('close', () => {
      clearTimeout(timer);
      r.waiters.delete(wake);
    });
    return;
  }
  json(res, 404, { error: 'not found' });
});
server.keepAliveTimeout = 60_000;
server.requestTimeout = 0;

const wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 });
server.on('upgrade', (req, socket, head) => {
  const m = ROOM_PATH.exec((req.url ?? '').split('?')[0] ?? '');
  if (!m || m[2] !== 'ws') return socket.destroy();
  const id = m[1]!;
  wss.handleUpgrade(req, socket, head, (ws) => {
    const r = room(id);
    for (const msg of r.recent) ws.send('{"type":"message",' + JSON.stringify(msg).slice(1));
    ws.send(
      JSON.stringify({ type: 'ready', roomId: id, size: r.ws.size + r.sse.size + 1, last_seq: lastSeq(r) }),
    );
    r.ws.add(ws);
    ws.on('message', (data) => {
      let body: unknown;
      try {
        body = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (!body || typeof body !== 'object') return;
      const type = (body as { type?: unknown }).type;
      if (type === 'hello' || type === 'listening') return;
      post(r, body as Record<string, unknown>, 'user');
    });
    ws.on('close', () => {
      r.ws.delete(ws);
      dropIfEmpty(id, r);
    });
    ws.on('error', () => {});
  });
});

const port = Number(process.env.PORT ?? 4200);
const host = process.env.HOST || '127.0.0.1';
server.listen(port, host, () => {
  const a = server.address();
  console.log(`baseline relay listening on http://${host}:${typeof a === 'object' && a ? a.port : port}`);
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(0));
