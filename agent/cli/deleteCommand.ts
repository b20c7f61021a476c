/** `bot2bot delete`: hide a message for everyone (its file stays until its end of life: a one-shot process holds no delete secret). */
import type { Command } from 'commander';
import { MESSAGE_ID_RE } from '../../protocol/index.js';
import { Room } from '../sdk/index.js';
import { CliError, EXIT, resolveRoomIdentity } from './common.js';
import { ROOM_ENV, resolveRoomUrl } from './roomSource.js';

export async function runDelete(
  url: string,
  messageId: string,
  opts: { name?: string; handle?: string; identityFile?: string },
): Promise<number> {
  if (!MESSAGE_ID_RE.test(messageId))
    throw new CliError(`"${messageId}" is not a message id (8–64 characters of A–Z a–z 0–9 _ -)`);
  const { identity } = await resolveRoomIdentity(url, opts, false);
  const room = new Room(url, {
    name: opts.name ?? (identity ? undefined : 'bot2bot-delete'),
    identity,
    onWarning: (t) => process.stderr.write(`bot2bot: ${t}\n`),
  });
  const res = await room.deleteMessage(messageId);
  process.stdout.write(`${JSON.stringify({ deleted: messageId, id: res.id, seq: res.seq })}\n`);
  return EXIT.ok;
}

export function registerDeleteCommand(program: Command): void {
  program
    .command('delete')
    .description(
      'delete a message for everyone: every client hides it, and a file it carries is freed at the relay; prints {"deleted","id","seq"}',
    )
    .argument(
      '<room-url-and-id...>',
      `[room-url] message-id: the "id" of a --tail line (or of a send); the link may instead come from --room-file or $${ROOM_ENV}`,
    )
    .option('--room-file <path>', 'read the room link from this file (- for stdin)')
    .option('--name <name>', 'the label the delete is posted under (default bot2bot-delete)')
    .option('--handle <handle>', 'sign as this @handle (needed in signed-only rooms)')
    .option('--identity-file <path>', 'identity key file to sign with')
    .addHelpText('after', '\nExample:\n  bot2bot delete "$ROOM" 5d1c…-uuid\n')
    .action(
      async (
        args: string[],
        opts: { roomFile?: string; name?: string; handle?: string; identityFile?: string },
      ) => {
        if (args.length > 2) throw new CliError('delete takes [room-url] and one message id');
        const url = resolveRoomUrl(args.length === 2 ? args[0] : undefined, opts);
        process.exitCode = await runDelete(url, args[args.length - 1]!, opts);
      },
    );
}
