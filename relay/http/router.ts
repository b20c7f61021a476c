/**
 * A small router whose route table is also the API description: each route names its body and
 * query schemas and its responses, the router validates with them, and openapi.ts renders the
 * same table. A schema cannot be documented one way and enforced another; nor can `auth`: a
 * `signed` route's handler runs only after the router has verified its owner, and receives it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { ERR, RETRY_AFTER_S, ROOM_ID_RE } from '../../protocol/index.js';
import type { IdentityRecord } from '../identity/types.js';
import type { RouteBucket } from '../limits/routeBuckets.js';
import { readJsonBody } from './body.js';
import { HttpError, sendError } from './respond.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteContext<B> {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The raw path and query exactly as received: what owner signatures cover. */
  originalUrl: string;
  ip: string;
  body: B;
}

/** A `signed` route's context: the owner whose signature the router verified. */
export interface SignedContext<B> extends RouteContext<B> {
  owner: IdentityRecord;
}

/**
 * Verifies that `handle` signed this request (registration, rate limit, signature) and returns
 * its record, or throws the HttpError to answer.
 */
export type OwnerCheck = (handle: string, ctx: RouteContext<unknown>) => Promise<IdentityRecord>;

export interface QueryParamDoc {
  name: string;
  description: string;
  schema: { type: 'integer' | 'string' | 'boolean'; default?: unknown; minimum?: number; maximum?: number };
}

export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
}

interface RouteBase<B> {
  method: Method;
  /** `/api/rooms/:roomId/messages`; `:roomId` is checked against the room-id rule. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  body?: z.ZodType<B>;
  /** The 400 text when the body fails its schema (e.g. `bad message`). Default: the first issue. */
  badBody?: string;
  query?: QueryParamDoc[];
  responses: Record<number, ResponseDoc>;
  /** Left out of the OpenAPI document (pages, assets). */
  hidden?: boolean;
  /** Set for routes that must see the raw request (streams). The body is not read. */
  raw?: boolean;
  /** An expensive answer: a token from this per-address bucket first, or 429. */
  bucket?: RouteBucket;
}

/** A route anyone may call; `admin` routes check their bearer token themselves. */
export interface OpenRoute<B> extends RouteBase<B> {
  auth?: 'admin';
  handler: (ctx: RouteContext<B>) => void | Promise<void>;
}

/** An owner route with the `Authorization: Bot2Bot` header: the router verifies before the handler. */
export interface SignedRoute<B> extends RouteBase<B> {
  auth: 'signed';
  /** The handle that must have signed: from the path or the body, checked by its rule (400). */
  signer: (ctx: RouteContext<B>) => string;
  handler: (ctx: SignedContext<B>) => void | Promise<void>;
}

export type RouteDef<B = unknown> = OpenRoute<B> | SignedRoute<B>;

/** Keeps B inferred at each definition site. */
export function route<B>(def: RouteDef<B>): RouteDef<unknown> {
  return def as unknown as RouteDef<unknown>;
}

interface Compiled {
  def: RouteDef<unknown>;
  re: RegExp;
  names: string[];
}

export interface Matched {
  route: RouteDef<unknown>;
  params: Record<string, string>;
}

export class Router {
  private readonly routes: Compiled[] = [];
  /** Told of every refusal the router answers (metrics count them by status and reason). */
  onReject: ((status: number, error: string) => void) | null = null;

  constructor(
    private readonly bodyLimit: number,
    private readonly bodyIdleMs = 0,
    /** Takes a token from a route's bucket (routes that name one); none given: never refuses. */
    private readonly takeBucket: (bucket: RouteBucket, ip: string) => boolean,
    private readonly checkOwner: OwnerCheck,
  ) {}

  add(...defs: RouteDef<unknown>[]): void {
    for (const def of defs) {
      const names: string[] = [];
      const src = def.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, (_m, n: string) => {
        names.push(n);
        return '([^/]+)';
      });
      this.routes.push({ def, re: new RegExp(`^${src}$`), names });
    }
  }

  list(): readonly RouteDef<unknown>[] {
    return this.routes.map((r) => r.def);
  }

  /** The matching route, `405` when the path exists under another method, or null. */
  match(method: string, path: string): Matched | 405 | null {
    let pathMatched = false;
    const m = method === 'HEAD' ? 'GET' : method;
    for (const r of this.routes) {
      const hit = r.re.exec(path);
      if (!hit) continue;
      if (r.def.method !== m) {
        pathMatched = true;
        continue;
      }
      const params: Record<string, string> = {};
      for (let i = 0; i < r.names.length; i++) params[r.names[i]!] = safeDecode(hit[i + 1] ?? '');
      return { route: r.def, params };
    }
    return pathMatched ? 405 : null;
  }

  /**
   * Run the route: check the room id, read and validate the body, call the handler, and turn
   * whatever it throws or rejects with into the JSON error answer. `rawQuery` is the text after
   * `?` (or ''); it is parsed only if the handler reads `query`. No promise is made unless the
   * handler returns one: this is every post's path.
   */
  dispatch(
    matched: Matched,
    req: IncomingMessage,
    res: ServerResponse,
    rawQuery: string,
    originalUrl: string,
    ip: string,
  ): void {
    const def = matched.route;
    const call = new RouteCall(
      def,
      req,
      res,
      matched.params,
      rawQuery,
      originalUrl,
      ip,
      this.checkOwner,
      this.onReject,
    );
    if (call.params.roomId !== undefined && !ROOM_ID_RE.test(call.params.roomId))
      return call.fail(new HttpError(400, ERR.badRoomId));
    if (def.bucket && !this.takeBucket(def.bucket, ip)) {
      req.resume();
      return call.fail(new HttpError(429, ERR.rateLimited, RETRY_AFTER_S.roomPost));
    }
    if (def.body && !def.raw) {
      readJsonBody(req, this.bodyLimit, this.bodyIdleMs, (error, raw) =>
        error ? call.fail(error) : call.runWithBody(raw),
      );
      return;
    }
    if (!def.raw && (req.method === 'POST' || req.method === 'PUT' || req.method === 'DELETE')) req.resume();
    call.run();
  }
}

/** One request on its way through a route: the handler's context, and where its errors go. */
class RouteCall implements RouteContext<unknown> {
  body: unknown = undefined;
  owner: IdentityRecord | undefined;
  private parsedQuery: URLSearchParams | undefined;

  constructor(
    private readonly def: RouteDef<unknown>,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly params: Record<string, string>,
    private readonly rawQuery: string,
    readonly originalUrl: string,
    readonly ip: string,
    private readonly checkOwner: OwnerCheck,
    private readonly onReject: Router['onReject'] = null,
  ) {}

  get query(): URLSearchParams {
    return (this.parsedQuery ??= new URLSearchParams(this.rawQuery));
  }

  runWithBody(raw: unknown): void {
    const parsed = this.def.body!.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return this.fail(
        new HttpError(
          400,
          this.def.badBody ??
            (issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : ERR.invalidJson),
        ),
      );
    }
    this.body = parsed.data;
    this.run();
  }

  run(): void {
    const def = this.def;
    let pending: void | Promise<void>;
    try {
      if (def.auth === 'signed') {
        const handle = def.signer(this);
        pending = this.checkOwner(handle, this).then((owner) => {
          this.owner = owner;
          return def.handler(this as SignedContext<unknown>);
        });
      } else {
        pending = def.handler(this);
      }
    } catch (e) {
      return this.fail(e);
    }
    if (pending) pending.then(undefined, (e: unknown) => this.fail(e));
  }

  fail(e: unknown): void {
    const { req, res } = this;
    // The client went away mid-request: nobody is left to answer, and it is not our error.
    // (Not req.destroyed: a request whose body was read to the end is auto-destroyed, and an
    // error thrown after an await, e.g. a Redis round trip, must still be answered.)
    if (
      (e as NodeJS.ErrnoException | null)?.code === 'ECONNRESET' ||
      req.socket.destroyed ||
      res.headersSent
    ) {
      res.destroy();
      return;
    }
    if (e instanceof HttpError) {
      this.onReject?.(e.status, e.error);
      sendError(res, e.status, e.error, e.extra, e.retryAfterS);
      return;
    }
    // Never echo the exception: it could carry request content. The operator sees the type.
    console.error(
      JSON.stringify({
        level: 'error',
        at: this.def.path,
        error: e instanceof Error ? e.name : 'unknown',
        where: e instanceof Error ? (e.stack ?? '').split('\n')[1]?.trim() : undefined,
      }),
    );
    this.onReject?.(500, 'internal error');
    sendError(res, 500, 'internal error');
  }
}

function safeDecode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Integer query parameter with the reference's leniency: invalid → fallback. */
export function intParam(q: URLSearchParams, name: string, fallback: number): number {
  const v = q.get(name);
  if (v === null || v.trim() === '') return fallback;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) ? n : fallback;
}

/** `timeout`-style clamp where 0 or invalid means the default. */
export function clampTimeout(
  q: URLSearchParams,
  name: string,
  def: number,
  min: number,
  max: number,
): number {
  const n = intParam(q, name, def);
  if (n <= 0) return def;
  return Math.min(max, Math.max(min, n));
}
