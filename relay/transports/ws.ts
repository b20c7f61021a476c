/**
 * The WebSocket transport (reference-relay.md §2.3), plus resume with `?after=` and `last_seq`
 * in `ready`, which the reference lacked. Checks run before the upgrade completes where the
 * protocol allows an HTTP answer; the stream cap keeps the reference's error-frame behaviour.
 *
 * Idle connections are the bulk of a relay's memory, so per-connection state is one object and
 * the event handlers are shared functions (EventEmitter calls them with `this` = the socket):
 * no closures are allocated per connection.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { ERR, LIMITS, PostMessageBody, ROOM_ID_RE, isLaxBoxPub, normalizePresenceName } from '../../protocol/index.js';
import type { RelayDeps } from '../deps.js';
import { clientIp } from '../http/clientIp.js';
import { HttpError, rawJsonError } from '../http/respond.js';
import { acceptPost, roomRateKey } from '../rooms/post.js';
import type { OutFrame, Subscriber } from '../rooms/subscriber.js';
import type { StreamRegistry } from './streams.js';

const WS_PATH = /^\/api\/rooms\/([^/]+)\/ws$/;
const STATE = Symbol('subscriber');
/** Send options shared by every delivery rather than allocated per frame. */
const TEXT_FRAME = { binary: false } as const;

type Socket = WebSocket & { [STATE]?: WsSubscriber };

class WsSubscriber implements Subscriber {
  readonly transport = 'ws' as const;
  name: string | null = null;
  boxPub: string | null = null;
  pending: Subscriber['pending'] = null;
  joined = false;
  left = false;
  alive = true;
  /** Frames that arrive before the join completes are queued, not dropped. */
  early: RawData[] | null = null;
  /** This socket's rate-limit key, built once rather than per post. */
  readonly rateKey: string;

  constructor(
    readonly owner: WsTransport,
    readonly ws: Socket,
    readonly roomId: string,
    readonly ip: string,
    public lastSeen: number,
  ) {
    this.rateKey = roomRateKey(roomId);
  }

  send(frame: OutFrame): void {
    const ws = this.ws;
    if (ws.readyState !== 1) return;
    // A reader that cannot keep up is closed, not buffered without bound: the others never
    // stall behind it, and it resumes with ?after= without loss.
    if (ws.bufferedAmount > this.owner.slowConsumerBytes) {
      ws.close(1013, 'slow consumer: reconnect with ?after=');
      return;
    }
    ws.send(frame.ws, TEXT_FRAME);
  }

  close(reason?: string): void {
    this.ws.close(1001, reason ?? '');
  }
}

function onMessage(this: Socket, data: RawData): void {
  const sub = this[STATE];
  if (!sub) return;
  if (!sub.joined) (sub.early ??= []).push(data);
  else sub.owner.onFrame(sub, data);
}

function onClose(this: Socket): void {
  const sub = this[STATE];
  if (!sub || sub.left) return;
  sub.left = true;
  sub.owner.detach(sub);
}

function onPong(this: Socket): void {
  const sub = this[STATE];
  if (sub) sub.alive = true;
}

function onError(this: Socket): void {
  this.terminate();
}

export class WsTransport {
  private readonly wss: WebSocketServer;
  private readonly pinger: NodeJS.Timeout;
  readonly slowConsumerBytes: number;

  constructor(
    private readonly deps: RelayDeps,
    private readonly streams: StreamRegistry,
  ) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: deps.config.limits.wsFrameBytes, perMessageDeflate: false });
    this.slowConsumerBytes = deps.config.limits.slowConsumerBytes;
    // Ping every 30 s; a socket that did not answer the previous ping is dead.
    this.pinger = setInterval(() => this.ping(), 2 * LIMITS.sseKeepaliveMs);
    this.pinger.unref();
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://relay.invalid');
    const m = WS_PATH.exec(url.pathname);
    if (!m) return refuse(socket, 404, ERR.notFound);
    const roomId = safeDecode(m[1]!);
    if (!ROOM_ID_RE.test(roomId)) return refuse(socket, 400, ERR.badRoomId);
    if (!originAllowed(req)) return refuse(socket, 403, 'cross-origin WebSocket refused');
    const ip = clientIp(req, this.deps.config.trustProxy);
    const after = Math.max(0, Number.parseInt(url.searchParams.get('after') ?? '0', 10) || 0);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (!this.streams.acquire(ip)) {
        ws.send(JSON.stringify({ type: 'error', code: 429, error: ERR.tooManyStreams }));
        ws.close(1008, 'too many streams');
        return;
      }
      this.attach(ws as Socket, roomId, ip, after);
    });
  }

  close(): void {
    clearInterval(this.pinger);
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private attach(ws: Socket, roomId: string, ip: string, after: number): void {
    const sub = new WsSubscriber(this, ws, roomId, ip, this.deps.now());
    ws[STATE] = sub;
    ws.on('message', onMessage);
    ws.on('close', onClose);
    ws.on('pong', onPong);
    ws.on('error', onError);
    void this.deps.hub.join(roomId, sub, after).then((r) => {
      if (!r.ok) {
        ws.send(JSON.stringify({ type: 'error', error: r.error }));
        ws.close(1013, r.error);
        return;
      }
      sub.joined = true;
      if (sub.left) {
        this.deps.hub.leave(roomId, sub);
        return;
      }
      const early = sub.early;
      sub.early = null;
      if (early) for (const d of early) this.onFrame(sub, d);
    });
  }

  detach(sub: WsSubscriber): void {
    this.streams.release(sub.ip);
    if (sub.joined) this.deps.hub.leave(sub.roomId, sub);
  }

  private ping(): void {
    for (const ws of this.wss.clients as Set<Socket>) {
      const sub = ws[STATE];
      if (!sub) continue;
      if (!sub.alive) {
        ws.terminate();
        continue;
      }
      sub.alive = false;
      ws.ping();
    }
  }

  /** Synchronous unless the backend is (Redis): a post over WebSocket makes no promise here. */
  onFrame(sub: WsSubscriber, data: RawData): void {
    const deps = this.deps;
    const ws = sub.ws;
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
      deps.hub.rename(sub.roomId, from, name);
      return;
    }
    const parsed = PostMessageBody.safeParse(f);
    // The reference dropped a malformed post silently; an error frame tells the client why.
    if (!parsed.success) return sendError(ws, 400, ERR.badMessage);
    try {
      const stored = acceptPost(deps, sub.roomId, parsed.data, sub.ip, 'ws', sub.rateKey);
      if (stored instanceof Promise) stored.then(undefined, (e: unknown) => refused(ws, e));
    } catch (e) {
      refused(ws, e);
    }
  }
}

/** A post that was not accepted: the client hears why, as an error frame. */
function refused(ws: WebSocket, e: unknown): void {
  // `extra` carries last_seq for an optimistic post that lost the race.
  if (e instanceof HttpError) sendError(ws, e.status, e.error, e.extra);
  else sendError(ws, 500, 'internal error');
}

function sendError(ws: WebSocket, code: number, error: string, extra?: Record<string, unknown>): void {
  if (ws.readyState === 1) ws.send(JSON.stringify(extra ? { type: 'error', code, error, ...extra } : { type: 'error', code, error }));
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
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
  socket.end(rawJsonError(status, error));
}
