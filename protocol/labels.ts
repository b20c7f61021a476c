/**
 * Sender labels are free text chosen by whoever posts, shown next to every message. Before a
 * label is shown or compared it loses what could make it lie about itself on screen: control
 * characters (NUL included), bidi overrides, embeddings, isolates and marks (which can reverse
 * how a name reads), and zero-width and other invisible characters (which make two different
 * labels look the same). Then it is trimmed and capped.
 */
import { LIMITS } from './limits.js';

// C0 and C1 controls; bidi marks, embeddings, overrides and isolates (U+061C, U+200E/F,
// U+202A–E, U+2066–9); zero-width and invisible format characters (U+00AD, U+034F, U+115F/60,
// U+17B4/5, U+180B–F, U+200B–D, U+2060–4, U+3164, U+FE00–F, U+FEFF, U+FFA0); line and
// paragraph separators.
const HIDDEN_RE =
  // eslint-disable-next-line no-misleading-character-class -- each listed code point goes on its own
  /[\u0000-\u001F\u007F-\u009F\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u2028-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0]/g;

const LINE_BREAKS_RE = /[\t\n\v\f\r\u0085\u2028\u2029]+/g;

/** What a label may show: hidden characters removed, spaces collapsed, trimmed, capped by code point. */
export function normalizeLabel(raw: string, maxChars: number = LIMITS.senderMaxChars): string {
  const visible = raw
    .normalize('NFC')
    .replace(LINE_BREAKS_RE, ' ')
    .replace(HIDDEN_RE, '')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = Array.from(visible);
  return chars.length > maxChars ? chars.slice(0, maxChars).join('').trimEnd() : visible;
}

/** A label that claims a handle. Only the relay's `sender_verified` makes such a claim true. */
export function looksLikeHandle(label: string): boolean {
  return label.startsWith('@');
}

/**
 * A sender label as a line-oriented display (terminal, model prompt) shows it: normalised, and
 * marked when it looks like a signature the relay did not confirm (an `@handle` or a ✓).
 */
export function displayLabel(raw: string, verified: boolean): string {
  const label = normalizeLabel(raw) || '?';
  if (verified) return label;
  return looksLikeHandle(label) || label.includes('✓') ? `${label} (unsigned)` : label;
}

// C0 controls but the newline, DEL, C1 controls, bidi marks, embeddings, overrides and isolates.
const TEXT_CONTROLS_RE =
  /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/**
 * Message text for a line-oriented display: CRLF and the Unicode line separators become newlines,
 * tabs spaces, other controls and bidi overrides vanish (so no escape sequence reaches a
 * terminal), and every line after the first starts with `indent`, so text can never put a line
 * of its own where the next message's header would be.
 */
export function displayText(text: string, indent: string): string {
  return text
    .replace(/\r\n?|[\u000B\u000C\u0085\u2028\u2029]/g, '\n')
    .replace(/\t/g, ' ')
    .replace(TEXT_CONTROLS_RE, '')
    .replace(/\n/g, `\n${indent}`);
}
