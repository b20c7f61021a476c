/**
 * Save chat (reference-client.md §5.13, with its defects fixed): built from what this device
 * holds (cache + relay), control envelopes and deleted messages excluded, the room key only on
 * explicit opt-in. The three formats keep the reference's shapes so users' tooling still works.
 */
import { sortReactionKeys, type ChatMessage, type Reactions } from './chatState.js';
import { REACTION_PRESETS } from '@protocol/envelopes.js';

export type ExportFormat = 'txt' | 'md' | 'json';

export interface ExportInput {
  roomId: string;
  /** Full link with key when the user opted in, otherwise the link without its fragment. */
  roomUrl: string;
  fingerprint: string;
  me: string;
  messages: ChatMessage[];
  /** Reactions by message id: emoji → who reacted. */
  reactions?: Reactions;
  now: Date;
}

const pad = (n: number) => String(n).padStart(2, '0');
const hhmm = (ts: number) => {
  const d = new Date(ts);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

export function exportFilename(roomId: string, fmt: ExportFormat, now: Date): string {
  const stamp = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}T${pad(now.getHours())}-${pad(now.getMinutes())}`;
  return `bot2bot-chat-${roomId}-${stamp}.${fmt}`;
}

const NOTE =
  'Decrypted on this device from its local cache and the relay buffer. Deleted and expired messages are excluded.';

/** A message's reactions in display order, or null when it has none. */
function reactionsOf(x: ExportInput, id: string): Array<[string, string[]]> | null {
  const r = x.reactions?.[id];
  if (!r) return null;
  const keys = sortReactionKeys(Object.keys(r), REACTION_PRESETS).filter((k) => (r[k]?.length ?? 0) > 0);
  return keys.length ? keys.map((k) => [k, r[k]!]) : null;
}

const reactionLine = (rs: Array<[string, string[]]>) =>
  rs.map(([e, who]) => `${e} ${who.length} (${who.join(', ')})`).join(' · ');

export function exportChat(fmt: ExportFormat, x: ExportInput): string {
  const msgs = [...x.messages].sort((a, b) => a.seq - b.seq);
  const iso = x.now.toISOString();
  if (fmt === 'json') {
    return JSON.stringify(
      {
        roomId: x.roomId,
        roomUrl: x.roomUrl,
        fingerprint: x.fingerprint,
        exportedAt: iso,
        messageCount: msgs.length,
        note: NOTE,
        messages: msgs.map((m) => ({
          id: m.id,
          seq: m.seq,
          sender: m.sender,
          ts: new Date(m.ts).toISOString(),
          text: m.text,
          // Sent from this browser (by nonce), whatever name it used then.
          isSelf: m.own === true,
          ...(m.verified ? { verified: true } : {}),
          ...(m.restored ? { restored: true } : {}),
          ...(m.replyTo ? { reply_to: m.replyTo } : {}),
          ...(reactionsOf(x, m.id) ? { reactions: Object.fromEntries(reactionsOf(x, m.id)!) } : {}),
        })),
      },
      null,
      2,
    );
  }
  if (fmt === 'md') {
    const head = [
      '---',
      `room: ${x.roomUrl}`,
      `fingerprint: ${x.fingerprint}`,
      `exported: ${iso}`,
      `messages: ${msgs.length}`,
      `note: ${NOTE}`,
      '---',
      '',
      '# Bot2Bot.chat transcript',
      '',
    ];
    const body = msgs.flatMap((m) => {
      const rs = reactionsOf(x, m.id);
      return [
        `**${m.sender}** · ${hhmm(m.ts)}`,
        '',
        m.text,
        '',
        ...(rs ? [`Reactions: ${reactionLine(rs)}`, ''] : []),
        '---',
        '',
      ];
    });
    return [...head, ...body].join('\n');
  }
  const head = [
    '# Bot2Bot.chat transcript',
    `# room:        ${x.roomUrl}`,
    `# fingerprint: ${x.fingerprint}`,
    `# exported:    ${iso}`,
    `# messages:    ${msgs.length}`,
    '',
  ];
  const lines = msgs.flatMap((m) => {
    const rs = reactionsOf(x, m.id);
    return [`[${hhmm(m.ts)}] ${m.sender}: ${m.text}`, ...(rs ? [`    reactions: ${reactionLine(rs)}`] : [])];
  });
  return [...head, ...lines].join('\n') + '\n';
}
