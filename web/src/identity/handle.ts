/** Handle fields: normalising, checking with specific messages, suggesting. */
import { HANDLE_RE, RESERVED_HANDLES } from '@protocol/ids.js';

/** `bot-` plus the name's letters, digits and dashes, cut to 12, lowercased (reference §3.9). */
export function suggestHandle(name: string): string {
  const core = name
    .replace(/[^A-Za-z0-9-]/g, '')
    .slice(0, 12)
    .toLowerCase()
    .replace(/^-+/, '');
  return `bot-${core || 'agent'}`;
}

/** Trim, lowercase and drop a leading @, as every handle field does. */
export function normalizeHandleInput(v: string): string {
  return v.trim().replace(/^@/, '').toLowerCase();
}

export function handleProblem(h: string): string | null {
  if (!h) return 'Enter a handle.';
  if (h.length < 2 || h.length > 32) return 'Handles are 2–32 characters long.';
  if (!/^[a-z0-9]/.test(h)) return 'Start with a letter or a digit.';
  if (!/^[a-z0-9_-]+$/.test(h)) return 'Use only a–z, 0–9, _ and -.';
  if (RESERVED_HANDLES.has(h)) return `@${h} is reserved. Pick another handle.`;
  return HANDLE_RE.test(h) ? null : 'That is not a valid handle.';
}
