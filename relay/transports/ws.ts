/**
 * The WebSocket transport (reference-relay.md §2.3), plus resume with `?after=` and `last_seq`
 * in `ready`, which the reference lacked. Checks run before the upgrade completes where the
 * protocol allows an HTTP answer; the stream cap keeps the reference's error-frame behaviour.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { ERR, PostMessageBody, ROOM_ID_RE, isLaxBoxPub, normalizePresenceName } from '../../protocol/index.js';
import type { RelayDeps } from '../deps.js';
import { clientIp } from '../http/clientIp.js';
import { HttpError } from '../http/respond.js';
import { acceptPost } from '../rooms/post.js';
import type { Subscriber } from '../rooms/subscriber.js';
import type { StreamRegistry } from './streams.js';

const WS_PATH = /^\/api\/rooms\/([^/]+)\/ws$/;

export class WsTransport {
  private readonly wss: WebSocketServer;

  constructor(
    private readonly deps: RelayDeps,
    private readonly streams: StreamRegistry,
  ) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: deps.config.limits.wsFrameBytes, perMessageDeflate: false });
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://relay.invalid');
    const m = WS_PATH.exec(url.pathname);
    if (!m) return refuse(socket, 404, ERR.notFound);
    const roomId = decodeURIComponent(m[1]!);
    if (!ROOM_ID_RE.test(roomId)) return refuse(socket, 400, ERR.badRoomId);
    if (!originAllowed(req)) return refuse(socket, 403, 'cross-origin WebSocket refused');
    const ip = clientIp(req, this.deps.config.trustProxy);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (!this.streams.acquire(ip)) {
        ws.send(JSON.stringify({ type: 'error', code: 429, error: ERR.tooManyStreams }));
        ws.close(1008, 'too many streams');
        return;
      }
      const after = Math.max(0, Number.parseInt(url.searchParams.get('after') ?? '0', 10) || 0);
      this.attach(ws, roomId, ip, after);
    });
  }

  close(): void {
    this.wss.close();
  }

  private attach(ws: WebSocket, roomId: string, ip: string, after: number): void {
    const deps = this.deps;
    const limit = deps.config.limits.slowConsumerBytes;
    const sub: Subscriber = {
      transport: 'ws',
      ip,
      name: null,
      boxPub: null,
      lastSeen: deps.now(),
      pending: null,
      send(frame) {
        if (ws.readyState !== ws.OPEN) return;
        // A reader that cannot keep up is closed, not buffered without bound: the others never
        // stall behind it, and it resumes with ?after= without loss.
        if (ws.bufferedAmount > limit) {
          ws.close(1013, 'slow consumer: reconnect with ?after=');
          return;
        }
        ws.send(frame.ws, { binary: false });
      },
      close(reason) {
        ws.close(1001, reason ?? '');
      },
    };
    this.streams.trackWs(ws);
    let joined = false;
    let left = false;
    // Frames that arrive before the join completes are queued, not dropped.
    const early: RawData[] = [];
    ws.on('message', (data) => {
      if (!joined) early.push(data);
      else void this.onFrame(roomId, sub, data, ws);
    });
    ws.on('close', () => {
      if (left) return;
      left = true;
      this.streams.release(ip);
      if (joined) deps.hub.leave(roomId, sub);
    });
    ws.on('error', () => ws.terminate());
    void deps.hub.join(roomId, sub, after).then((r) => {
      if (!r.ok) {
        ws.send(JSON.stringify({ type: 'error', error: r.error }));
        ws.close(1013, r.error);
        return;
      }
      joined = true;
      if (left) {
        deps.hub.leave(roomId, sub);
        return;
      }
      for (const d of early.splice(0)) void this.onFrame(roomId, sub, d, ws);
    });
  }

  private async onFrame(roomId: string, sub: Subscriber, data: RawData, ws: WebSocket): Promise<void> {
    const deps = this.deps;
    sub.lastSeen = deps.now();
    let frame: unknown;
    try {
      frame = JSON.parse(data.toString());
    } catch {
      return sendError(ws, 400, ERR.invalidJson);
    }
    if (frame === null || typeof frame !== 'object' || Array.isArray(frame)) return sendError(ws, 400, ERR.badMessage);
    const f = frame as Record<string, unknown>;
    if (f.type === 'listening') return;
    if (f.type === 'hello') {
      const name = normalizePresenceName(f.name);
      if (!name) return;
      if ('box_pub' in f) {
        if (f.box_pub === null) sub.boxPub = null;
        else if (isLaxBoxPub(f.box_pub)) sub.boxPub = f.box_pub;
      }
      const from = sub.name;
      sub.name = name;
      deps.hub.rename(roomId, from, name);
      return;
    }
    const parsed = PostMessageBody.safeParse(f);
    // The reference dropped a malformed post silently; an error frame tells the client why.
    if (!parsed.success) return sendError(ws, 400, ERR.badMessage);
    try {
      await acceptPost(deps, roomId, parsed.data, sub.ip, 'ws');
    } catch (e) {
      if (e instanceof HttpError) sendError(ws, e.status, e.error);
      else sendError(ws, 500, 'internal error');
    }
  }
}

function sendError(ws: WebSocket, code: number, error: string): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'error', code, error }));
}

/** Browsers send Origin; agents usually do not. A page on another site may not use our socket. */
function originAllowed(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function refuse(socket: Duplex, status: number, error: string): void {
  const body = JSON.stringify({ error });
  socket.end(
    `HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : status === 403 ? 'Forbidden' : 'Bad Request'}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
