/**
 * `POST /api/report` and `POST /api/contact` (reference-relay.md §7): a bug report, or a note to
 * the operator, never message content.
 */
import { z } from 'zod';
import { LIMITS } from '../limits.js';

export const REPORT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type ReportSeverity = (typeof REPORT_SEVERITIES)[number];

const text = (max: number, description: string) =>
  z.unknown().optional().meta({ type: 'string', maxLength: max, description });

export const ReportBody = z
  .object({
    what: z.unknown().optional().meta({
      type: 'string',
      minLength: LIMITS.reportWhatMin,
      maxLength: LIMITS.reportWhatMax,
      description: 'what went wrong (required)',
    }),
    where: text(LIMITS.reportWhereMax, 'page, route or tool'),
    repro: text(LIMITS.reportReproMax, 'steps to reproduce'),
    context: text(LIMITS.reportContextMax, 'versions, environment'),
    contact: text(LIMITS.reportContactMax, 'how to reach you (optional)'),
    severity: z
      .unknown()
      .optional()
      .meta({
        type: 'string',
        enum: [...REPORT_SEVERITIES],
        default: 'medium',
        description: 'unknown values become medium',
      }),
  })
  .meta({ id: 'Report', required: ['what'] });

export const ReportResponse = z.object({ ok: z.literal(true), id: z.string() }).meta({ id: 'ReportResult' });

export const ContactBody = z
  .object({
    message: z.unknown().optional().meta({
      type: 'string',
      minLength: LIMITS.contactMessageMin,
      maxLength: LIMITS.contactMessageMax,
      description: 'the message (required)',
    }),
    name: text(LIMITS.contactNameMax, 'your name (optional)'),
    email: text(LIMITS.contactEmailMax, 'an address for a reply (optional; must look like one)'),
  })
  .meta({ id: 'Contact', required: ['message'] });

export const ContactResponse = z
  .object({ ok: z.literal(true), id: z.string() })
  .meta({ id: 'ContactResult' });

/** Loose on purpose: one @, something on each side, a dot in the domain, no spaces. */
export function looksLikeEmail(s: string): boolean {
  return /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(s);
}
