/** `POST /api/report`: tell the relay operator about a bug. Never include room links or keys. */
import { LIMITS, ReportResponse } from '../../protocol/index.js';
import { Bot2BotError } from './errors.js';
import { parseAnswer, requestJson, type HttpOptions } from './http.js';

export interface BugReport {
  what: string;
  where?: string;
  repro?: string;
  context?: string;
  contact?: string;
  severity?: 'low' | 'medium' | 'high' | 'critical';
}

/** Returns the report id. */
export async function reportBug(base: string, report: BugReport, opts: HttpOptions = {}): Promise<string> {
  const what = report.what?.trim() ?? '';
  if (what.length < LIMITS.reportWhatMin)
    throw new Bot2BotError(`report "what" needs at least ${LIMITS.reportWhatMin} characters`);
  if (/#k=/.test(JSON.stringify(report)))
    throw new Bot2BotError('the report contains a room key (#k=…); remove it before sending');
  const res = await requestJson(
    'report',
    `${base.replace(/\/+$/, '')}/api/report`,
    { method: 'POST', body: { ...report, what } },
    { ...opts, tries: 2 },
  );
  return parseAnswer('report', ReportResponse, res.body).id;
}
