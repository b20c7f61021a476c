/**
 * Edit for everyone on the agent side: remember who wrote each message seen, and let an edit
 * through only when protocol/attachments.ts `editApplies` says its sender may make it.
 */
import { describeFile, editApplies, type EditTarget } from '../../protocol/index.js';
import type { Message } from './message.js';

/** Enough for any room's 2000-message replay window; the oldest are forgotten first. */
const KNOWN_MAX = 4000;

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > KNOWN_MAX) map.delete(map.keys().next().value!);
}

export class EditTracker {
  private readonly known = new Map<string, EditTarget>();
  private readonly dead = new Map<string, true>();
  /** The newest applied edit of each message, for history that ends before the edit. */
  private readonly latest = new Map<string, { text: string; seq: number }>();
  /** Attachments seen, by message id: a delete for everyone frees the blob with its token. */
  private readonly files = new Map<string, { blob_id: string; token: string }>();
  /**
   * Every retained message up to this seq has been tracked, so an edit whose target is still
   * unknown names a message this agent cannot know: it is ignored without reading anything.
   */
  scanned = 0;
  private windowStart = Number.NEGATIVE_INFINITY;
  private windowPages = 0;
  /** The transcript read in progress, so concurrent edits share it. */
  scanning: Promise<void> | null = null;

  /**
   * An edit whose target this tracker has never seen, sent after what it has scanned. `after`:
   * the source (stream, poll, transcript page) delivered every message from that seq up to m.
   */
  needsTarget(m: Message, after?: number): boolean {
    const c = m.control;
    if (c?.kind !== 'edit' || this.known.has(c.envelope.target_id) || this.dead.has(c.envelope.target_id))
      return false;
    return m.seq - 1 > this.scanned && !(after !== undefined && after <= this.scanned);
  }

  /** A message at `seq` was delivered right after `after`: extend what is scanned when they join. */
  covered(seq: number, after?: number): void {
    if (after !== undefined && after <= this.scanned) this.scanned = Math.max(this.scanned, seq);
  }

  /** One transcript page from the per-minute allowance; false when it is spent. */
  takePage(now: number): boolean {
    if (now - this.windowStart >= SCAN_WINDOW_MS) {
      this.windowStart = now;
      this.windowPages = 0;
    }
    if (this.windowPages >= SCAN_PAGES_PER_WINDOW) return false;
    this.windowPages++;
    return true;
  }

  isDeleted(id: string): boolean {
    return this.dead.has(id);
  }

  /** Give a message the newest edit this tracker applied to it (history read before the edit). */
  applyLatest(m: Message): Message {
    const text = this.latest.get(m.id)?.text;
    if (text === undefined) return m;
    m.edited = true;
    if (m.attachment) {
      m.attachment = { ...m.attachment, text };
      m.text = describeFile(m.attachment);
    } else m.text = text;
    return m;
  }

  attachmentOf(id: string): { blob_id: string; token: string } | undefined {
    return this.files.get(id);
  }

  rememberFile(id: string, file: { blob_id: string; token: string }): void {
    remember(this.files, id, { blob_id: file.blob_id, token: file.token });
  }

  /**
   * Note a decoded message. Returns it (an edit marked `edited`, with `editOf` and the new text),
   * or null for an edit that must be ignored.
   */
  track(m: Message, now: number = Date.now()): Message | null {
    const c = m.control;
    if (c?.kind === 'delete') {
      remember(this.dead, c.envelope.target_id, true);
      this.known.delete(c.envelope.target_id);
      this.latest.delete(c.envelope.target_id);
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
      // A transcript read may replay an older edit after a newer one: the highest seq wins.
      if ((this.latest.get(c.envelope.target_id)?.seq ?? 0) < m.seq)
        remember(this.latest, c.envelope.target_id, { text: c.envelope.text, seq: m.seq });
      return m;
    }
    if (m.kind === 'chat' || m.kind === 'file') {
      const t: EditTarget = { sender: m.sender, verified: m.senderVerified, seq: m.seq, ts: m.ts };
      if (m.ttlMs) t.ttl_ms = m.ttlMs;
      remember(this.known, m.id, t);
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

/** One transcript read: its decoded messages, how many it returned and the last seq in it. */
export interface TranscriptPage {
  messages: Message[];
  count: number;
  lastSeq: number;
}

const PAGE_SIZE = 500;
/** Pages one scan reads at most: the relay keeps 2000 messages. */
const SCAN_PAGES = 4;
/** Pages all edit checks together read per minute, however many edits arrive. */
const SCAN_PAGES_PER_WINDOW = 8;
const SCAN_WINDOW_MS = 60_000;

/**
 * Read the transcript from where this tracker last looked (or from `from`, if later) up to
 * `beforeSeq` (exclusive), so an edit of a message sent before this Room started listening can
 * be judged, or so history learns of later deletes and edits. Each retained message is read
 * once; `budgeted` reads come out of the per-minute allowance.
 */
export async function primeEdits(
  tracker: EditTracker,
  readPage: (after: number) => Promise<TranscriptPage>,
  beforeSeq: number,
  opts: { budgeted?: boolean; from?: number; now?: number } = {},
): Promise<void> {
  while (tracker.scanning) await tracker.scanning.catch(() => undefined);
  const now = opts.now ?? Date.now();
  const run = async () => {
    let after = Math.max(tracker.scanned, opts.from ?? 0);
    for (let page = 0; page < SCAN_PAGES && after < beforeSeq - 1; page++) {
      if (opts.budgeted !== false && !tracker.takePage(now)) return;
      const got = await readPage(after);
      for (const m of got.messages) {
        if (m.seq >= beforeSeq) break;
        tracker.track(m);
      }
      const done = got.count < PAGE_SIZE || got.lastSeq >= beforeSeq - 1;
      tracker.covered(Math.min(got.lastSeq, beforeSeq - 1), after);
      if (done) return;
      after = got.lastSeq;
    }
  };
  tracker.scanning = run();
  try {
    await tracker.scanning;
  } finally {
    tracker.scanning = null;
  }
}
