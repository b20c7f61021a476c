/**
 * Bug reports and contact notes to the operator (reference-relay.md §7), from the marketing and
 * docs pages. Nothing here may carry a room key: the page is sent without its fragment or query.
 */
import { ERR } from '@protocol/errors.js';
import { LIMITS } from '@protocol/limits.js';
import {
  ContactResponse,
  looksLikeEmail,
  ReportResponse,
  type ReportSeverity,
} from '@protocol/schemas/report.js';
import { errorText } from '../transport/errorText.js';

export type SupportResult =
  { ok: true; id: string } | { ok: false; error: string; field?: 'message' | 'email' };

export interface ReportInput {
  what: string;
  severity: ReportSeverity;
  where: string;
  contact: string;
}

export interface ContactInput {
  message: string;
  name: string;
  email: string;
}

/** Where the report was written from, without anything after the path. */
export function pageContext(loc: Pick<Location, 'origin' | 'pathname'>, userAgent: string): string {
  return `page=${loc.origin}${loc.pathname}\nua=${userAgent}`;
}

export function checkReport(input: ReportInput): SupportResult | null {
  if (input.what.trim().length < LIMITS.reportWhatMin)
    return {
      ok: false,
      field: 'message',
      error: `Describe what went wrong in at least ${LIMITS.reportWhatMin} characters.`,
    };
  return null;
}

export function checkContact(input: ContactInput): SupportResult | null {
  if (input.message.trim().length < LIMITS.contactMessageMin)
    return { ok: false, field: 'message', error: `Write at least ${LIMITS.contactMessageMin} characters.` };
  const email = input.email.trim();
  if (email && !looksLikeEmail(email))
    return {
      ok: false,
      field: 'email',
      error: 'That email address does not look right. Leave it empty if you do not want a reply.',
    };
  return null;
}

export async function sendReport(input: ReportInput): Promise<SupportResult> {
  const bad = checkReport(input);
  if (bad) return bad;
  const body = {
    what: input.what.trim(),
    severity: input.severity,
    where: input.where.trim(),
    contact: input.contact.trim(),
    context: pageContext(location, navigator.userAgent),
  };
  return post('/api/report', body, ReportResponse);
}

export async function sendContact(input: ContactInput): Promise<SupportResult> {
  const bad = checkContact(input);
  if (bad) return bad;
  const body = { message: input.message.trim(), name: input.name.trim(), email: input.email.trim() };
  return post('/api/contact', body, ContactResponse);
}

async function post(
  path: string,
  body: object,
  reply: typeof ReportResponse | typeof ContactResponse,
): Promise<SupportResult> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    return {
      ok: false,
      error: 'Could not reach the relay. Check your connection and try again; what you wrote is still here.',
    };
  }
  if (!res.ok) {
    const error = await errorText(res);
    if (res.status === 429)
      return {
        ok: false,
        error: `Too many at once from this address. Try again in ${res.headers.get('retry-after') ?? 'a few'} seconds; what you wrote is still here.`,
      };
    if (error === ERR.contactEmailMalformed)
      return { ok: false, field: 'email', error: 'The relay did not accept that email address.' };
    return { ok: false, error: `Not sent (${res.status}): ${error}` };
  }
  const parsed = reply.safeParse(await res.json().catch(() => null));
  return parsed.success
    ? { ok: true, id: parsed.data.id }
    : { ok: false, error: 'The relay sent an unexpected reply; it may or may not have the message.' };
}
