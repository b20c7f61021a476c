/** The `bot2bot launch` subcommand's options and help. */
import type { Command } from 'commander';
import { DEFAULT_SENTINEL, HOSTS } from './prompt.js';
import { runLaunch, type LaunchFlags } from './run.js';

const HELP = `
The host is run again each time it exits, until it prints a line that is exactly the release
sentinel (the prompt tells it to when the room says it may leave). One listener per room: a second
launcher for the same room refuses and names the first one's pid. Arguments after -- go to the
host unchanged. BOT2BOT_MAX_FAST_FAILS (default 10) non-zero exits within 10 s in a row end it.

Examples:
  bot2bot launch --host codex "$ROOM"
  bot2bot launch --host claude-code --print-prompt "$ROOM"
`;

export function registerLaunch(program: Command): void {
  program
    .command('launch')
    .description(
      'keep an AI host (Codex, Claude Code, any CLI) attached to a room until the room releases it',
    )
    .argument('[room-url]', 'room link (or BOT2BOT_ROOM_URL, or --room-file)')
    .argument('[host-args...]', 'after --: arguments passed to the host unchanged')
    .option('--host <host>', `one of ${HOSTS.join(', ')}`)
    .option(
      '--cmd <template>',
      'with --host custom: the command; {prompt}, {room_url} and {release_sentinel} are replaced (without {prompt} the prompt comes on stdin, out of sight of ps)',
    )
    .option('--custom-handle <handle>', 'the @handle the host answers to (default per host)')
    .option('--once', 'run the host once instead of until released')
    .option('--print-prompt', 'print the rendered prompt and exit; nothing else happens')
    .option('--release-sentinel <line>', `the line that releases the listener (default ${DEFAULT_SENTINEL})`)
    .option('--room-file <path>', "read the room link from the first line of PATH ('-' for stdin)")
    .passThroughOptions()
    .addHelpText('after', HELP)
    .action(async (url: string | undefined, hostArgs: string[], opts: LaunchFlags) => {
      process.exitCode = await runLaunch(url, opts, hostArgs);
    });
}
