/**
 * `bot2bot daemon <room-url> --name N --dir DIR`: a file interface for harnesses that watch
 * files. Every incoming message is appended to DIR/inbox.jsonl; every line appended to
 * DIR/outbox.jsonl (`{"text": …, "reply_to"?: …, "ttl_ms"?: …}`) is sent. DIR/inbox.seq and
 * DIR/outbox.offset record progress, so a restart neither repeats inbox lines nor resends old
 * outbox lines.
 */
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  writeFileSync,
  renameSync,
} from 'node:fs';
import { join } from 'node:path';
import { Bot2BotError, HttpError, Room } from '../sdk/index.js';
import { CliError, EXIT, adoptionLine, fullLine, onSignals, resolveRoomIdentity } from './common.js';

export interface DaemonFlags {
  name?: string;
  dir?: string;
  includeSelf?: boolean;
  handle?: string;
  identityFile?: string;
  acceptAdoptions?: boolean;
  pollMs?: string;
}

const log = (text: string) => process.stderr.write(`bot2bot daemon: ${text}\n`);

function readNumber(path: string): number {
  if (!existsSync(path)) return 0;
  const n = Number(readFileSync(path, 'utf8').trim());
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

function writeNumber(path: string, n: number): void {
  writeFileSync(`${path}.tmp`, `${n}\n`);
  renameSync(`${path}.tmp`, path);
}

/** Bytes [from, to) of a file. */
function readRange(path: string, from: number, to: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(to - from);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, from + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

interface OutboxLine {
  text: string;
  reply_to?: string;
  ttl_ms?: number;
}

function parseOutboxLine(line: string): OutboxLine | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'not JSON (expected {"text": "...", "reply_to"?: "<message id>"})';
  }
  if (!v || typeof v !== 'object' || typeof (v as OutboxLine).text !== 'string')
    return 'missing "text" (a string)';
  const o = v as Record<string, unknown>;
  if (o.reply_to !== undefined && typeof o.reply_to !== 'string')
    return '"reply_to" must be a message id string';
  if (o.ttl_ms !== undefined && typeof o.ttl_ms !== 'number') return '"ttl_ms" must be a number';
  return o as unknown as OutboxLine;
}

/**
 * Send one outbox line. Permanent refusals (4xx other than 429) are logged and skipped; other
 * failures are retried until they succeed or the daemon stops. False only when stopped.
 */
async function sendWithPatience(room: Room, line: OutboxLine, signal: AbortSignal): Promise<boolean> {
  while (!signal.aborted) {
    try {
      const opts: { replyTo?: string; ttlMs?: number; signal: AbortSignal } = { signal };
      if (line.reply_to) opts.replyTo = line.reply_to;
      if (line.ttl_ms) opts.ttlMs = line.ttl_ms;
      const r = await room.send(line.text, opts);
      log(`sent seq=${r.seq}`);
      return true;
    } catch (e) {
      if (signal.aborted) return false;
      const permanent =
        (e instanceof HttpError && e.status >= 400 && e.status < 500 && e.status !== 429) ||
        (e instanceof Bot2BotError && !(e instanceof HttpError));
      log(
        `send failed: ${e instanceof Error ? e.message : String(e)}${permanent ? '; skipping this line' : '; retrying'}`,
      );
      if (permanent) return true;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  return false;
}

export async function runDaemon(url: string, f: DaemonFlags): Promise<number> {
  if (!f.name) throw new CliError('daemon needs --name: your unique name in the room');
  if (!f.dir) throw new CliError('daemon needs --dir DIR for inbox.jsonl and outbox.jsonl');
  const dir = f.dir;
  mkdirSync(dir, { recursive: true });
  const inbox = join(dir, 'inbox.jsonl');
  const outbox = join(dir, 'outbox.jsonl');
  const seqFile = join(dir, 'inbox.seq');
  const offsetFile = join(dir, 'outbox.offset');
  if (!existsSync(outbox)) writeFileSync(outbox, '');
  const { identity, identityFile } = await resolveRoomIdentity(url, f, false);
  const room = new Room(url, {
    name: f.name,
    identity,
    includeSelf: f.includeSelf,
    acceptAdoptions: f.acceptAdoptions,
    identityFile: f.acceptAdoptions ? identityFile : undefined,
    onAdopt: (e) => log(adoptionLine(e)),
    onWarning: log,
  });
  const stop = new AbortController();
  onSignals(() => stop.abort());
  const pollMs = Number(f.pollMs ?? 250);
  log(`listening in room ${room.roomId} as "${room.name}"; inbox ${inbox}, outbox ${outbox}`);

  const inboxLoop = (async () => {
    for await (const m of room.stream({ after: readNumber(seqFile), signal: stop.signal })) {
      appendFileSync(inbox, `${fullLine(m)}\n`);
      writeNumber(seqFile, m.seq);
    }
  })();

  const outboxLoop = (async () => {
    let offset = readNumber(offsetFile);
    while (!stop.signal.aborted) {
      const size = existsSync(outbox) ? statSync(outbox).size : 0;
      if (size < offset) {
        log('outbox.jsonl shrank (truncated or replaced); reading it from the start');
        offset = 0;
        writeNumber(offsetFile, 0);
      }
      if (size > offset) {
        const base = offset;
        const chunk = readRange(outbox, base, size);
        // A line without its newline yet is still being written: leave it for the next pass.
        let pos = 0;
        for (let nl = chunk.indexOf(0x0a); nl >= 0 && !stop.signal.aborted; nl = chunk.indexOf(0x0a, pos)) {
          const line = chunk.subarray(pos, nl).toString('utf8').trim();
          if (line) {
            const parsed = parseOutboxLine(line);
            if (typeof parsed === 'string') log(`skipping outbox line at byte ${base + pos}: ${parsed}`);
            else if (!(await sendWithPatience(room, parsed, stop.signal))) break;
          }
          pos = nl + 1;
          offset = base + pos;
          writeNumber(offsetFile, offset);
        }
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  })();

  await Promise.race([
    inboxLoop,
    outboxLoop,
    new Promise((r) => stop.signal.addEventListener('abort', r, { once: true })),
  ]).catch((e: unknown) => {
    stop.abort();
    throw e;
  });
  stop.abort();
  room.close();
  log('stopped');
  return EXIT.ok;
}
