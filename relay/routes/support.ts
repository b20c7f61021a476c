/**
 * The two ways to reach the operator (reference-relay.md §7), from a human or an agent:
 * `POST /api/report`, a bug report, and `POST /api/contact`, a note. Both are user-submitted
 * text, never message content, and each becomes one JSON line on stderr (operator-visible).
 * Reports also go to the reports file when one is configured; contact notes are not stored
 * (the reference only forwarded them), since they may carry a name and an address. The sender's
 * IP is never written; a salted hash prefix lets an operator group notes from one source.
 */
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, rename, stat } from 'node:fs/promises';
import {
  ContactBody,
  ContactResponse,
  ERR,
  ErrorBodySchema,
  LIMITS,
  looksLikeEmail,
  REPORT_SEVERITIES,
  RETRY_AFTER_S,
  ReportBody,
  ReportResponse,
  type ReportSeverity,
} from '../../protocol/index.js';
import { rateLimitOrThrow, type RelayDeps } from '../deps.js';
import { HttpError, sendJson } from '../http/respond.js';
import { route, type RouteDef } from '../http/router.js';
import { uuid } from '../uuid.js';

/** The reports file is rotated once (to `<file>.1`) when it passes this size. */
export const REPORTS_FILE_ROTATE_BYTES = 5 * 1024 * 1024;
const UA_MAX_CHARS = 200;
const err = (description: string) => ({ description, schema: ErrorBodySchema });

interface ReportInput {
  what?: unknown;
  where?: unknown;
  repro?: unknown;
  context?: unknown;
  contact?: unknown;
  severity?: unknown;
}

interface ContactInput {
  message?: unknown;
  name?: unknown;
  email?: unknown;
}

const cut = (v: unknown, max: number): string => (typeof v === 'string' ? v.trim().slice(0, max) : '');

export function supportRoutes(deps: RelayDeps): RouteDef[] {
  // Per process, so hashes group one run's reports but cannot be matched against an IP list later.
  const salt = randomBytes(16);
  let writes: Promise<void> = Promise.resolve();
  const ipHash = (ip: string) => createHash('sha256').update(salt).update(ip).digest('hex').slice(0, 12);
  const ua = (req: { headers: { 'user-agent'?: string } }) => cut(req.headers['user-agent'], UA_MAX_CHARS);

  const persist = (line: string) => {
    const file = deps.config.reportsFile;
    if (!file) return;
    // Appends are chained so lines never interleave and rotation sees a settled size.
    writes = writes.then(async () => {
      try {
        const size = await stat(file).then(
          (s) => s.size,
          () => 0,
        );
        if (size > REPORTS_FILE_ROTATE_BYTES) await rename(file, `${file}.1`);
        await appendFile(file, line, { mode: 0o600 });
      } catch (e) {
        console.error(
          JSON.stringify({
            level: 'error',
            at: 'report',
            error: e instanceof Error ? e.message : 'write failed',
          }),
        );
      }
    });
  };

  return [
    route<ReportInput>({
      method: 'POST',
      path: '/api/report',
      tag: 'support',
      summary: 'Report a bug',
      description: `Goes to the operator (a JSON line on stderr and the reports file). Do not include room links, keys or message text. Rate limited on its own bucket (Retry-After: ${RETRY_AFTER_S.report}).`,
      body: ReportBody as never,
      badBody: ERR.reportWhatRequired,
      responses: {
        200: { description: 'recorded', schema: ReportResponse },
        400: err(ERR.reportWhatRequired),
        429: err(`rate limited (Retry-After: ${RETRY_AFTER_S.report})`),
      },
      handler: (ctx) => {
        const b = ctx.body;
        const what = cut(b.what, LIMITS.reportWhatMax);
        if (what.length < LIMITS.reportWhatMin) throw new HttpError(400, ERR.reportWhatRequired);
        rateLimitOrThrow(deps, ctx.ip, 'bugs', RETRY_AFTER_S.report, false);
        const severity: ReportSeverity = (REPORT_SEVERITIES as readonly unknown[]).includes(b.severity)
          ? (b.severity as ReportSeverity)
          : 'medium';
        const id = uuid();
        const record = {
          level: 'report',
          id,
          ts: deps.now(),
          severity,
          what,
          where: cut(b.where, LIMITS.reportWhereMax),
          repro: cut(b.repro, LIMITS.reportReproMax),
          context: cut(b.context, LIMITS.reportContextMax),
          contact: cut(b.contact, LIMITS.reportContactMax),
          ua: ua(ctx.req),
          ip_hash: ipHash(ctx.ip),
        };
        const line = `${JSON.stringify(record)}\n`;
        process.stderr.write(line);
        persist(line);
        sendJson(ctx.res, 200, { ok: true, id });
      },
    }),
    route<ContactInput>({
      method: 'POST',
      path: '/api/contact',
      tag: 'support',
      summary: 'Write to the operator',
      description: `A note for the operator: a JSON line on stderr, not stored by the relay. Leave an email address if you want a reply. Do not include room links, keys or message text. Rate limited (Retry-After: ${RETRY_AFTER_S.contact}).`,
      body: ContactBody as never,
      badBody: ERR.contactMessageRequired,
      responses: {
        200: { description: 'delivered to the operator', schema: ContactResponse },
        400: err(`${ERR.contactMessageRequired}, or ${ERR.contactEmailMalformed}`),
        429: err(`rate limited (Retry-After: ${RETRY_AFTER_S.contact})`),
      },
      handler: (ctx) => {
        const b = ctx.body;
        const message = cut(b.message, LIMITS.contactMessageMax);
        if (message.length < LIMITS.contactMessageMin) throw new HttpError(400, ERR.contactMessageRequired);
        const email = cut(b.email, LIMITS.contactEmailMax);
        if (email && !looksLikeEmail(email)) throw new HttpError(400, ERR.contactEmailMalformed);
        rateLimitOrThrow(deps, ctx.ip, 'contact', RETRY_AFTER_S.contact);
        const id = uuid();
        const record = {
          level: 'contact',
          id,
          ts: deps.now(),
          message,
          name: cut(b.name, LIMITS.contactNameMax),
          email,
          ua: ua(ctx.req),
          ip_hash: ipHash(ctx.ip),
        };
        process.stderr.write(`${JSON.stringify(record)}\n`);
        sendJson(ctx.res, 200, { ok: true, id });
      },
    }),
  ];
}
