/**
 * Edit for everyone on the agent side: remember who wrote each message seen, and let an edit
 * through only when protocol/attachments.ts `editApplies` says its sender may make it.
 */
import { describeFile, editApplies, type EditTarget } from '../../protocol/index.js';
import type { Message } from './message.js';

/** Enough for any room's 2000-message replay window; the oldest are forgotten first. */
const KNOWN_MAX = 4000;

export class EditTracker {
  private readonly known = new Map<string, EditTarget>();
  private readonly dead = new Set<string>();
  /** Attachments seen, by message id: a delete for everyone frees the blob with its token. */
  private readonly files = new Map<string, { blob_id: string; token: string }>();

  /** An edit whose target this tracker has never seen (a stream that started after it). */
  needsTarget(m: Message): boolean {
    const c = m.control;
    return (
      c?.kind === 'edit' && !this.known.has(c.envelope.target_id) && !this.dead.has(c.envelope.target_id)
    );
  }

  attachmentOf(id: string): { blob_id: string; token: string } | undefined {
    return this.files.get(id);
  }

  rememberFile(id: string, file: { blob_id: string; token: string }): void {
    this.files.set(id, { blob_id: file.blob_id, token: file.token });
    if (this.files.size > KNOWN_MAX) this.files.delete(this.files.keys().next().value!);
  }

  /**
   * Note a decoded message. Returns it (an edit marked `edited`, with `editOf` and the new text),
   * or null for an edit that must be ignored.
   */
  track(m: Message, now: number = Date.now()): Message | null {
    const c = m.control;
    if (c?.kind === 'delete') {
      this.dead.add(c.envelope.target_id);
      this.known.delete(c.envelope.target_id);
      return m;
    }
    if (c?.kind === 'edit') {
      const target = this.known.get(c.envelope.target_id);
      const ok = editApplies(
        target,
        { sender: m.sender, verified: m.senderVerified, seq: m.seq },
        { dead: this.dead.has(c.envelope.target_id), now },
      );
      if (!ok) return null;
      m.edited = true;
      m.editOf = c.envelope.target_id;
      m.text = c.envelope.text;
      return m;
    }
    if (m.kind === 'chat' || m.kind === 'file') {
      const t: EditTarget = { sender: m.sender, verified: m.senderVerified, seq: m.seq, ts: m.ts };
      if (m.ttlMs) t.ttl_ms = m.ttlMs;
      this.known.set(m.id, t);
      if (this.known.size > KNOWN_MAX) this.known.delete(this.known.keys().next().value!);
      if (m.attachment) this.rememberFile(m.id, m.attachment);
    }
    return m;
  }
}

/**
 * Fold edits into the messages they change (history and transcripts): each target gets the
 * latest applied edit's text and `edited: true`; the edit events themselves are dropped unless
 * `keepEdits`.
 */
export function foldEdits(messages: Message[], keepEdits = false): Message[] {
  const byId = new Map(messages.map((m) => [m.id, m]));
  const out: Message[] = [];
  for (const m of messages) {
    if (m.kind === 'edit' && m.editOf) {
      const target = byId.get(m.editOf);
      if (target) {
        target.edited = true;
        if (target.attachment) {
          target.attachment = { ...target.attachment, text: m.text };
          target.text = describeFile(target.attachment);
        } else target.text = m.text;
      }
      if (keepEdits) out.push(m);
      continue;
    }
    out.push(m);
  }
  return out;
}

/** Transcript pages read at most to learn the targets of edits: the relay keeps 2000 messages. */
const PRIME_PAGES = 4;
const PRIME_INTERVAL_MS = 60_000;

/**
 * Learn who wrote the retained messages before `beforeSeq`, so that an edit of a message sent
 * before this Room started listening can be judged. At most once a minute.
 */
export async function primeEdits(
  tracker: EditTracker & { primedAt?: number },
  readPage: (after: number) => Promise<Message[]>,
  beforeSeq: number,
  now: number = Date.now(),
): Promise<void> {
  if (tracker.primedAt !== undefined && now - tracker.primedAt < PRIME_INTERVAL_MS) return;
  tracker.primedAt = now;
  let after = 0;
  for (let page = 0; page < PRIME_PAGES; page++) {
    const msgs = await readPage(after);
    for (const m of msgs) {
      if (m.seq >= beforeSeq) return;
      tracker.track(m);
    }
    if (msgs.length < 500) return;
    after = msgs[msgs.length - 1]!.seq;
  }
}
