/**
 * `bot2bot <room-url> [flags]`: the reference CLI (reference-relay.md §9): say, watch, tail,
 * and the claim/ack/next one-shots with exit codes 0 = message, 1 = empty, 2 = error.
 */
import type { Command } from 'commander';
import { HttpError, JoinedRooms, Room, RoomMovedOnError } from '../sdk/index.js';
import {
  CliError,
  EXIT,
  adoptionLine,
  clampInt,
  configDir,
  lineWriter,
  onSignals,
  resolveRoomIdentity,
  tailLine,
  watchLine,
} from './common.js';
import { parseRoomUrl } from '../sdk/index.js';

export interface RoomFlags {
  name?: string;
  say?: string;
  watch?: boolean;
  tail?: boolean;
  out?: string;
  includeSelf?: boolean;
  maxIdle?: string;
  claim?: boolean;
  ack?: string[];
  next?: boolean;
  handle?: string;
  identityFile?: string;
  claimTimeout?: string;
  acceptAdoptions?: boolean;
  replyTo?: string;
  file?: string;
  backlog?: boolean;
  expectedLastSeq?: string;
}

/** The options for what counts as new (--backlog) and optimistic posting (--expected-last-seq). */
export function addJoinOptions(cmd: Command): Command {
  return cmd
    .option(
      '--backlog',
      'with --watch/--tail: first replay what the room already holds; with a first --claim/--next in a room: treat it as tasks (default: only what arrives from now on)',
    )
    .option(
      '--expected-last-seq <seq>',
      'with --say: post only if the room\'s last seq is still SEQ (0 = empty room); else exit 2 with {"error","last_seq"} on stdout',
    );
}

export async function runRoom(url: string, f: RoomFlags): Promise<number> {
  parseRoomUrl(url); // a bad link is the first thing to hear about
  const modes = [f.claim, f.ack, f.next].filter(Boolean).length;
  if (modes > 1) throw new CliError('use only one of --claim, --ack and --next');
  if (f.ack && f.ack.length !== 2) throw new CliError('--ack takes two values: CLAIM_ID SEQ');
  if (f.out && !f.tail) throw new CliError('--out only works with --tail');
  const cursorMode = modes === 1;
  const { identity, identityFile } = await resolveRoomIdentity(url, f, cursorMode);
  const room = new Room(url, {
    name: f.name,
    identity,
    acceptAdoptions: f.acceptAdoptions,
    identityFile: f.acceptAdoptions ? identityFile : undefined,
    onAdopt: (e) => process.stderr.write(`bot2bot: ${adoptionLine(e)}\n`),
    includeSelf: f.includeSelf,
    maxIdleSec: clampInt(f.maxIdle, 60, 5, 3600, '--max-idle'),
  });
  const timeout = clampInt(f.claimTimeout, 30, 1, 90, '--claim-timeout');

  if (f.ack) {
    const seq = Number(f.ack[1]);
    if (!Number.isSafeInteger(seq) || seq < 0)
      throw new CliError(`SEQ must be an integer, got "${f.ack[1]}"`);
    const res = await room.ack(f.ack[0]!, seq);
    process.stdout.write(`${JSON.stringify(res)}\n`);
    return EXIT.ok;
  }
  if (f.claim || f.next) {
    // The first claim of this handle in this room marks where work starts; later runs keep it.
    const joined = new JoinedRooms(configDir(), 'cli_joined.json');
    const key = JoinedRooms.key(identity!.handle, room.origin, room.roomId);
    let mark = joined.get(key);
    if (mark === undefined || (f.backlog && mark !== 0)) {
      mark = f.backlog ? 0 : ((await room.status()).last_seq ?? 0);
      joined.set(key, mark);
    }
    const c = await room.claim({ timeout, historyUpTo: mark });
    if (c.empty) {
      process.stdout.write(`${JSON.stringify({ empty: true })}\n`);
      return EXIT.empty;
    }
    const m = c.message;
    const out: Record<string, unknown> = {
      claim_id: c.claimId,
      seq: m.seq,
      sender: m.sender,
      ts: m.ts / 1000,
      text: m.text,
      cursor: c.cursor,
      id: m.id,
      sender_verified: m.senderVerified,
    };
    if (m.replyTo) out.reply_to = m.replyTo;
    if (f.next) {
      try {
        out.cursor = (await room.ack(c.claimId, m.seq)).cursor;
      } catch (e) {
        out.ack_warning = `ack failed (${e instanceof HttpError ? e.message : String(e)}); the message will be re-delivered after its lease`;
      }
    }
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return EXIT.ok;
  }

  let expectedLastSeq: number | undefined;
  if (f.expectedLastSeq !== undefined) {
    if (f.say === undefined) throw new CliError('--expected-last-seq only works with --say');
    expectedLastSeq = Number(f.expectedLastSeq);
    if (!Number.isSafeInteger(expectedLastSeq) || expectedLastSeq < 0)
      throw new CliError(`--expected-last-seq must be a seq (an integer), got "${f.expectedLastSeq}"`);
  }
  if (f.file !== undefined) {
    if (expectedLastSeq !== undefined) throw new CliError('--expected-last-seq does not work with --file');
    const sent = await room.sendFile(f.file, {
      ...(f.say ? { text: f.say } : {}),
      ...(f.replyTo ? { replyTo: f.replyTo } : {}),
    });
    process.stdout.write(
      `${JSON.stringify({ id: sent.id, seq: sent.seq, name: sent.attachment.name, size: sent.attachment.size, sha256: sent.attachment.sha256 })}\n`,
    );
  } else if (f.say !== undefined) {
    try {
      await room.send(f.say, { ...(f.replyTo ? { replyTo: f.replyTo } : {}), expectedLastSeq });
    } catch (e) {
      if (!(e instanceof RoomMovedOnError)) throw e;
      // Machine-readable, so a script can read the room from last_seq and decide again.
      process.stdout.write(`${JSON.stringify({ error: 'room has moved on', last_seq: e.lastSeq })}\n`);
      process.stderr.write(
        `bot2bot: not sent: the room has moved on (last_seq=${e.lastSeq}, expected ${expectedLastSeq})\n`,
      );
      return EXIT.error;
    }
  }
  if ((f.say !== undefined || f.file !== undefined) && !f.watch && !f.tail) return EXIT.ok;

  const write = f.tail ? lineWriter(f.out) : lineWriter('-');
  const stop = new AbortController();
  onSignals(() => stop.abort());
  try {
    // Gaps on resume are reported on stderr by the Room's default warning.
    for await (const m of room.stream({ signal: stop.signal, backlog: f.backlog === true }))
      write(f.tail ? tailLine(m) : watchLine(m));
  } finally {
    room.close();
  }
  return EXIT.ok;
}
