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
import {
  ERR,
  LIMITS,
  PostMessageBody,
  ROOM_ID_RE,
  WS_CLOSE,
  isLaxBoxPub,
  normalizePresenceName,
  parseClientKind,
  type ErrorFrame,
  type WsCloseCode,
} from '../../protocol/index.js';
import type { RelayDeps } from '../deps.js';
import { endAndClose, logEdgeError } from '../http/edge.js';
import { HttpError, rawJsonError } from '../http/respond.js';
import { acceptPost, roomRateKey } from '../rooms/post.js';
import type { OutFrame, Subscriber } from '../rooms/subscriber.js';
import {
  FrameBudget,
  frameBudgetSpecs,
  type FrameBudgetSpecs,
  type FrameKind,
  type Verdict,
} from './frameBudget.js';
import type { StreamRegistry } from './streams.js';

const WS_PATH = /^\/api\/rooms\/([^/]+)\/ws$/;
const STATE = Symbol('subscriber');
/** Send options shared by every delivery rather than allocated per frame. */
const TEXT_FRAME = { binary: false } as const;
/**
 * A peer that stops reading never completes the close handshake: after this long it is cut off
 * (`ws` itself would wait 30 s), so a socket refused for abuse or backlog frees its memory soon.
 */
const CLOSE_GRACE_MS = 5000;
/** Frames held while the join completes (only a shared backend makes that take a while). */
const EARLY_FRAMES_MAX = 64;
const EARLY_BYTES_MAX = 1024 * 1024;
/** JSON.parse failed: told apart from JSON that is not an object, for the error text. */
const NOT_JSON = Symbol('not json');

type Socket = WebSocket & { [STATE]?: WsSubscriber };

class WsSubscriber implements Subscriber {
  readonly transport = 'ws' as const;
  name: string | null = null;
  boxPub: string | null = null;
  client: string | null = null;
  pending: Subscriber['pending'] = null;
  joined = false;
  left = false;
  alive = true;
  /** Frames that arrive before the join completes are queued, not dropped (up to a cap). */
  early: RawData[] | null = null;
  earlyBytes = 0;
  /** Made at the first frame, which every client sends: most sockets need one, but later. */
  budget: FrameBudget | null = null;
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
    this.deliver(frame.ws);
  }

  /**
   * Every frame this socket gets, error replies included, goes through here. A reader that
   * cannot keep up is closed, not buffered without bound: the others never stall behind it, and
   * it resumes with ?after= without loss.
   */
  deliver(data: Buffer | string): void {
    const ws = this.ws;
    if (ws.readyState !== 1) return;
    if (ws.bufferedAmount > this.owner.slowConsumerBytes)
      return this.shut(WS_CLOSE.tryAgainLater, 'slow consumer: reconnect with ?after=');
    ws.send(data, TEXT_FRAME);
  }

  error(code: number, error: string, extra?: Pick<ErrorFrame, 'last_seq'>): void {
    this.owner.metrics?.reject('ws', code, error);
    this.deliver(
      JSON.stringify(
        (extra
          ? { type: 'error', code, error, ...extra }
          : { type: 'error', code, error }) satisfies ErrorFrame,
      ),
    );
  }

  /** Close with a code the client can act on, and cut the socket off if it does not answer. */
  shut(code: WsCloseCode, reason: string): void {
    const ws = this.ws;
    if (ws.readyState !== 1) return;
    ws.close(code, reason);
    setTimeout(terminate, CLOSE_GRACE_MS, ws).unref();
  }

  close(reason?: string): void {
    this.ws.close(WS_CLOSE.goingAway, reason ?? '');
  }
}

function onMessage(this: Socket, data: RawData): void {
  const sub = this[STATE];
  // Once closing, nothing it sends is acted on (`ws` keeps reading until the handshake ends).
  if (!sub || this.readyState !== 1) return;
  if (sub.joined) return guardedFrame(sub, data);
  sub.earlyBytes += rawLength(data);
  if ((sub.early?.length ?? 0) >= EARLY_FRAMES_MAX || sub.earlyBytes > EARLY_BYTES_MAX)
    return sub.shut(WS_CLOSE.policyViolation, 'too many frames before ready');
  (sub.early ??= []).push(data);
}

/** Whatever one frame makes go wrong closes that socket, never the process. */
function guardedFrame(sub: WsSubscriber, data: RawData): void {
  try {
    sub.owner.onFrame(sub, data);
  } catch (e) {
    logEdgeError('ws frame', e);
    sub.ws.close(WS_CLOSE.internalError, 'internal error');
  }
}

function terminate(ws: WebSocket): void {
  ws.terminate();
}

function rawLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data.byteLength;
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
  private readonly budgets: FrameBudgetSpecs;
  readonly metrics: RelayDeps['metrics'];

  constructor(
    private readonly deps: RelayDeps,
    private readonly streams: StreamRegistry,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: deps.config.limits.wsFrameBytes,
      perMessageDeflate: false,
    });
    this.slowConsumerBytes = deps.config.limits.slowConsumerBytes;
    this.metrics = deps.metrics;
    this.budgets = frameBudgetSpecs(deps.config.limits);
    // Ping every 30 s; a socket that did not answer the previous ping is dead.
    this.pinger = setInterval(() => this.ping(), 2 * LIMITS.sseKeepaliveMs);
    this.pinger.unref();
  }

  /**
   * `ip` is the client's key (http/clientIp.ts); `originOk` the origin policy's verdict. The URL
   * is taken apart by hand: a request line need not be a URL the WHATWG parser accepts.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, ip: string, originOk: boolean): void {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const m = WS_PATH.exec(q === -1 ? raw : raw.slice(0, q));
    if (!m) return this.refuse(socket, 404, ERR.notFound);
    const roomId = safeDecode(m[1]!);
    if (!ROOM_ID_RE.test(roomId)) return this.refuse(socket, 400, ERR.badRoomId);
    if (!originOk) return this.refuse(socket, 403, 'cross-origin WebSocket refused');
    const query = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
    const after = Math.max(0, Number.parseInt(query.get('after') ?? '0', 10) || 0);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (!this.streams.acquire(ip)) {
        this.metrics?.reject('ws', 429, ERR.tooManyStreams);
        ws.send(JSON.stringify({ type: 'error', code: 429, error: ERR.tooManyStreams } satisfies ErrorFrame));
        ws.close(WS_CLOSE.policyViolation, 'too many streams');
        return;
      }
      this.attach(ws as Socket, roomId, ip, after);
    });
  }

  private refuse(socket: Duplex, status: number, error: string): void {
    this.metrics?.reject('ws', status, error);
    refuse(socket, status, error);
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
    void this.deps.hub
      .join(roomId, sub, after)
      .then((r) => {
        if (!r.ok) {
          sub.deliver(JSON.stringify({ type: 'error', error: r.error } satisfies ErrorFrame));
          sub.shut(WS_CLOSE.tryAgainLater, r.error);
          return;
        }
        sub.joined = true;
        if (sub.left) {
          this.deps.hub.leave(roomId, sub);
          return;
        }
        const early = sub.early;
        sub.early = null;
        if (early) for (const d of early) guardedFrame(sub, d);
      })
      .catch((e: unknown) => {
        // A refusal with a reason (the room's storage shard is down): say it, as a failed join does.
        if (e instanceof HttpError) {
          sub.deliver(JSON.stringify({ type: 'error', error: e.error }));
          sub.shut(1013, e.error);
          return;
        }
        logEdgeError('ws join', e);
        ws.close(WS_CLOSE.internalError, 'internal error');
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

  /**
   * One inbound frame, judged against the socket's budget for its kind before anything else is
   * done with it. Synchronous unless the backend is (Redis): a post over WebSocket makes no
   * promise here.
   */
  onFrame(sub: WsSubscriber, data: RawData): void {
    const deps = this.deps;
    const now = deps.now();
    sub.lastSeen = now;
    let frame: unknown;
    try {
      frame = JSON.parse(data.toString());
    } catch {
      frame = NOT_JSON;
    }
    const f =
      frame !== null && typeof frame === 'object' && !Array.isArray(frame)
        ? (frame as Record<string, unknown>)
        : null;
    const kind: FrameKind =
      f === null ? 'invalid' : f.type === 'hello' ? 'hello' : f.type === 'listening' ? 'listening' : 'post';
    const verdict = (sub.budget ??= new FrameBudget(this.budgets, now)).take(kind, now);
    if (verdict !== 'ok') return overBudget(sub, verdict);
    if (f === null) return sub.error(400, frame === NOT_JSON ? ERR.invalidJson : ERR.badMessage);
    if (kind === 'listening') return;
    if (kind === 'hello') {
      const name = normalizePresenceName(f.name);
      if (!name) return;
      if ('box_pub' in f) {
        if (f.box_pub === null) sub.boxPub = null;
        else if (isLaxBoxPub(f.box_pub)) sub.boxPub = f.box_pub;
      }
      sub.client = parseClientKind(f.client);
      const from = sub.name;
      sub.name = name;
      deps.hub.rename(sub.roomId, sub, from);
      return;
    }
    const parsed = PostMessageBody.safeParse(f);
    // The reference dropped a malformed post silently; an error frame tells the client why.
    if (!parsed.success) return sub.error(400, ERR.badMessage);
    try {
      const stored = acceptPost(deps, sub.roomId, parsed.data, sub.ip, 'ws', sub.rateKey);
      if (stored instanceof Promise) stored.then(undefined, (e: unknown) => refused(sub, e));
    } catch (e) {
      refused(sub, e);
    }
  }
}

/**
 * A frame over its budget is dropped with a 429 error frame (the same answer as a post over the
 * rate limit); a socket that keeps on after its strikes are spent is closed as a policy violation.
 */
function overBudget(sub: WsSubscriber, verdict: Exclude<Verdict, 'ok'>): void {
  if (verdict === 'abuse') sub.shut(WS_CLOSE.policyViolation, 'frame budget exceeded');
  else sub.error(429, ERR.rateLimited);
}

/** A post that was not accepted: the client hears why, as an error frame. */
function refused(sub: WsSubscriber, e: unknown): void {
  // `extra` carries last_seq for an optimistic post that lost the race.
  if (e instanceof HttpError) sub.error(e.status, e.error, e.extra);
  else sub.error(500, 'internal error');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function refuse(socket: Duplex, status: number, error: string): void {
  endAndClose(socket, rawJsonError(status, error));
}
