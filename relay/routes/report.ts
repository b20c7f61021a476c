/**
 * `POST /api/report` (reference-relay.md §7): a bug report from a human or an agent. Reports are
 * user-submitted text about bugs, not message content: each one becomes one JSON line on stderr
 * (operator-visible) and, when configured, one line in the reports file. The sender's IP is
 * never written; a salted hash prefix lets an operator group reports from one source.
 */
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, rename, stat } from 'node:fs/promises';
import { ERR, ErrorBodySchema, LIMITS, REPORT_SEVERITIES, RETRY_AFTER_S, ReportBody, ReportResponse, type ReportSeverity } from '../../protocol/index.js';
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

const cut = (v: unknown, max: number): string => (typeof v === 'string' ? v.trim().slice(0, max) : '');

export function reportRoutes(deps: RelayDeps): RouteDef[] {
  // Per process, so hashes group one run's reports but cannot be matched against an IP list later.
  const salt = randomBytes(16);
  let writes: Promise<void> = Promise.resolve();

  const persist = (line: string) => {
    const file = deps.config.reportsFile;
    if (!file) return;
    // Appends are chained so lines never interleave and rotation sees a settled size.
    writes = writes.then(async () => {
      try {
        const size = await stat(file).then((s) => s.size, () => 0);
        if (size > REPORTS_FILE_ROTATE_BYTES) await rename(file, `${file}.1`);
        await appendFile(file, line, { mode: 0o600 });
      } catch (e) {
        console.error(JSON.stringify({ level: 'error', at: 'report', error: e instanceof Error ? e.message : 'write failed' }));
      }
    });
  };

  return [
    route<ReportInput>({
      method: 'POST',
      path: '/api/report',
      tag: 'support',
      summary: 'Report a bug',
      description:
        'Goes to the operator (a JSON line on stderr and the reports file). Do not include room links, keys or message text. Rate limited on its own bucket (Retry-After: 10).',
      body: ReportBody as never,
      badBody: ERR.reportWhatRequired,
      responses: {
        200: { description: 'recorded', schema: ReportResponse },
        400: err(ERR.reportWhatRequired),
        429: err('rate limited (Retry-After: 10)'),
      },
      handler: (ctx) => {
        const b = ctx.body;
        const what = cut(b.what, LIMITS.reportWhatMax);
        if (what.length < LIMITS.reportWhatMin) throw new HttpError(400, ERR.reportWhatRequired);
        rateLimitOrThrow(deps, ctx.ip, 'bugs', RETRY_AFTER_S.report, false);
        const severity: ReportSeverity = (REPORT_SEVERITIES as readonly unknown[]).includes(b.severity) ? (b.severity as ReportSeverity) : 'medium';
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
          ua: cut(ctx.req.headers['user-agent'], UA_MAX_CHARS),
          ip_hash: createHash('sha256').update(salt).update(ctx.ip).digest('hex').slice(0, 12),
        };
        const line = `${JSON.stringify(record)}\n`;
        process.stderr.write(line);
        persist(line);
        sendJson(ctx.res, 200, { ok: true, id });
      },
    }),
  ];
}
