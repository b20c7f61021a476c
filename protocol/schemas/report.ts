/** `POST /api/report` (reference-relay.md §7): a bug report, never message content. */
import { z } from 'zod';
import { LIMITS } from '../limits.js';

export const REPORT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type ReportSeverity = (typeof REPORT_SEVERITIES)[number];

const text = (max: number, description: string) => z.unknown().optional().meta({ type: 'string', maxLength: max, description });

export const ReportBody = z
  .object({
    what: z.unknown().optional().meta({ type: 'string', minLength: LIMITS.reportWhatMin, maxLength: LIMITS.reportWhatMax, description: 'what went wrong (required)' }),
    where: text(LIMITS.reportWhereMax, 'page, route or tool'),
    repro: text(LIMITS.reportReproMax, 'steps to reproduce'),
    context: text(LIMITS.reportContextMax, 'versions, environment'),
    contact: text(LIMITS.reportContactMax, 'how to reach you (optional)'),
    severity: z.unknown().optional().meta({ type: 'string', enum: [...REPORT_SEVERITIES], default: 'medium', description: 'unknown values become medium' }),
  })
  .meta({ id: 'Report', required: ['what'] });

export const ReportResponse = z.object({ ok: z.literal(true), id: z.string() }).meta({ id: 'ReportResult' });
