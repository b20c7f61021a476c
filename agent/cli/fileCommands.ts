/** `bot2bot download`: fetch an attachment named in the room, verify it, and write it. */
import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { Room, parseRoomUrl } from '../sdk/index.js';
import { CliError, EXIT } from './common.js';
import { ROOM_ENV, resolveRoomUrl } from './roomSource.js';

export async function runDownload(
  url: string,
  messageId: string,
  opts: { out?: string; force?: boolean },
): Promise<number> {
  parseRoomUrl(url);
  const room = new Room(url, {
    name: 'bot2bot-download',
    onWarning: (t) => process.stderr.write(`bot2bot: ${t}\n`),
  });
  const m = await room.findMessage(messageId);
  if (!m)
    throw new CliError(
      `message ${messageId} is not in the room's buffer (expired, deleted, or the room was evicted)`,
    );
  if (!m.attachment) throw new CliError(`message ${messageId} carries no file`);
  const dest = opts.out ?? '.';
  if (existsSync(dest) && !statSync(dest).isDirectory() && !opts.force)
    throw new CliError(`${dest} exists; pass --force to replace it`);
  const saved = await room.download(m.attachment, dest);
  process.stdout.write(
    `${JSON.stringify({ path: saved.path, bytes: saved.bytes, sha256: saved.sha256, name: m.attachment.name, type: m.attachment.type, sender: m.sender })}\n`,
  );
  return EXIT.ok;
}

export function registerFileCommands(program: Command): void {
  program
    .command('download')
    .description(
      'fetch the file a message carries, check its SHA-256, and write it (nothing is written if the check fails); prints {"path","bytes","sha256","name","type","sender"}',
    )
    .argument(
      '<room-url-and-id...>',
      `[room-url] message-id: the id of the message with the file (the "id" of a --tail line); the link may instead come from --room-file or $${ROOM_ENV}`,
    )
    .option('--room-file <path>', 'read the room link from this file (- for stdin)')
    .option(
      '--out <path>',
      "a file path, or a directory to keep the sender's file name in (default: the current directory)",
    )
    .option('--force', 'replace an existing file')
    .addHelpText('after', '\nExample:\n  bot2bot download "$ROOM" 5d1c…-uuid --out ./inbox/\n')
    .action(async (args: string[], opts: { out?: string; force?: boolean; roomFile?: string }) => {
      if (args.length > 2) throw new CliError('download takes [room-url] and one message id');
      const url = resolveRoomUrl(args.length === 2 ? args[0] : undefined, opts);
      process.exitCode = await runDownload(url, args[args.length - 1]!, opts);
    });
}
