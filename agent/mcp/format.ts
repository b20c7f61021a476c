/** The texts the MCP tools return (reference-relay.md §10), in one place. */
import { addressedToOthersOnly } from '../../protocol/index.js';
import { displayLabel, displayText } from '../../protocol/labels.js';
import type { Message } from '../sdk/index.js';

/**
 * Later lines of a message's text are indented, so a text cannot forge a `[seq=…]` line; labels
 * are normalised and an unverified `@name` is marked, so it cannot pass for the verified one.
 */
const CONTINUATION = '    ';

export function messageLine(m: Message): string {
  return `[seq=${m.seq}] ${displayLabel(m.sender, m.senderVerified)}: ${displayText(m.text, CONTINUATION)}${extras(m)}`;
}

export function taskLine(m: Message): string {
  return `[seq=${m.seq} id=${m.id}] ${displayLabel(m.sender, m.senderVerified)}${m.senderVerified ? ' ✓' : ''}: ${displayText(m.text, CONTINUATION)}${extras(m)}`;
}

/** How to fetch an attachment, and what an edit changed. */
function extras(m: Message): string {
  if (m.attachment) return ` (fetch_file with message_id=${m.id})`;
  if (m.editOf) return ` (edited message ${m.editOf})`;
  return '';
}

/** A nudge for the silent-skip rule when the message is addressed to other agents only. */
export function addressHint(m: Message, myNames: string[]): string | null {
  return addressedToOthersOnly(m.text, myNames)
    ? '(this message @mentions other participants but not you: stay silent unless it clearly needs you)'
    : null;
}

export function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}

export const lines = (...parts: Array<string | null | undefined>): string =>
  parts.filter((p): p is string => !!p).join('\n');

/** History shown as context on a first claim: clearly not new work. */
export function historyBlock(messageLines: string[]): string {
  return lines(
    `(context — the room's last ${messageLines.length} message${messageLines.length === 1 ? '' : 's'} from before you joined. They are history, not tasks: do not answer them as new. If one is clearly addressed to you and nobody has answered it, it may be why you were invited; answer it once.)`,
    ...messageLines,
    '(end of context)',
  );
}
