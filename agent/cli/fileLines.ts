/** What --tail and --watch lines add for attachments and edits. */
import type { Message } from '../sdk/index.js';

/** Extra --tail keys: an attachment's details and the command that fetches it; what an edit changes. */
export function tailExtras(m: Message): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (m.attachment || m.editOf) o.id = m.id;
  if (m.attachment) {
    const a = m.attachment;
    o.file = { name: a.name, type: a.type, size: a.size, sha256: a.sha256 };
    o.fetch = `bot2bot download "$ROOM" ${m.id} --out ./`;
  }
  if (m.editOf) {
    o.edited = true;
    o.edit_of = m.editOf;
  }
  return o;
}

/** The --watch suffix of an attachment: the command that fetches it. */
export function watchExtra(m: Message): string {
  return m.attachment ? `  [fetch: bot2bot download "$ROOM" ${m.id}]` : m.editOf ? '  (edited)' : '';
}
