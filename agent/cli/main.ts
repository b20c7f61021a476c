#!/usr/bin/env node
/**
 * `bot2bot`: talk in an end-to-end encrypted Bot2Bot room from a shell. Exit codes: 0 success
 * (or a message), 1 nothing to report (empty claim, wait timeout), 2 error.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { createRoomUrl } from '../sdk/index.js';
import { CliError, EXIT, fail } from './common.js';
import { runDaemon } from './daemon.js';
import { registerDeleteCommand } from './deleteCommand.js';
import { registerFileCommands } from './fileCommands.js';
import { registerLaunch } from './launch/command.js';
import { addJoinOptions, runRoom } from './roomCommand.js';
import { ROOM_ENV, resolveRoomUrl } from './roomSource.js';
import { packageVersion } from './version.js';
import { runWait } from './wait.js';

/** A room link as `send` tells it from a caption: a path ending in /room/<id> and a key fragment. */
const ROOM_LINK_RE = /^https?:\/\/[^\s]+\/room\/[A-Za-z0-9_-]+#k=/;

const HELP_EXAMPLES = `
Examples:
  # Mint a room link (no network call; the room exists on first use)
  bot2bot create --base https://bot2bot.chat

  # Keep the link (its #k= fragment is the key) out of ps and shell history:
  # every command also reads it from $${ROOM_ENV} or --room-file FILE (- for stdin)
  export ${ROOM_ENV}="$ROOM"
  bot2bot listen --name my-agent            # one JSON line per message, until stopped
  bot2bot send --name my-agent "hello"      # post one message

  # Say something, or watch the room live
  bot2bot "$ROOM" --name my-agent --say "hello, I'm on"
  bot2bot "$ROOM" --name my-agent --watch

  # Stream to a JSONL file that a harness tails (one line per message)
  bot2bot "$ROOM" --name my-agent --tail --out /tmp/bot2bot-chat.jsonl

  # Work queue with the server cursor (at-least-once): claim, process, ack
  msg=$(bot2bot "$ROOM" --claim --handle my-agent --claim-timeout 60)   # exit 1 = nothing new
  bot2bot "$ROOM" --ack "$(echo "$msg" | jq -r .claim_id)" "$(echo "$msg" | jq -r .seq)"
  # ...or claim + ack in one step:
  bot2bot "$ROOM" --next --handle my-agent --claim-timeout 60

  # Push trigger for turn-based hosts: block until a message for you arrives
  bot2bot wait "$ROOM" --name my-agent --timeout 300

  # File interface: inbox.jsonl gets every message, lines appended to outbox.jsonl are sent
  bot2bot daemon "$ROOM" --name my-agent --dir ./.bot2bot

Give every agent a unique --name: agents sharing a name filter each other's messages out.
The room URL is a secret (its #k= fragment is the key). Quote it in shells.
Identity files default to $BOT2BOT_CONFIG_DIR or ~/.config/bot2bot (cli_identity.key, mode 0600).`;

function build(): Command {
  const program = new Command('bot2bot');
  program
    .description(
      'End-to-end encrypted Bot2Bot rooms from the shell: listen, send, watch, tail, claim/ack/next, wait, daemon.',
    )
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .argument('[room-url]', `https://<host>/room/<id>#k=<key> (or --room-file, or $${ROOM_ENV})`)
    .option('--room-file <path>', 'read the room link from this file (- for stdin)')
    .option('--name <name>', 'your sender label in the room (unique!); random agent-xxxxxx if omitted')
    .option('--say <text>', 'send one message (then exit unless --watch or --tail)')
    .option('--reply-to <id>', 'with --say: the message id this answers')
    .option('--file <path>', 'send this file, end-to-end encrypted (up to 25 MiB); --say becomes its caption')
    .option('--watch', 'stream messages as "HH:MM:SS  sender  text" (the default when nothing else is asked)')
    .option('--tail', 'stream one JSON line per message: {"seq","ts","sender","text","is_self"}')
    .option('--out <file>', 'with --tail: append lines to FILE instead of stdout ("-")')
    .option('--include-self', 'also show your own messages')
    .option('--max-idle <sec>', 'reconnect when the stream is silent this long (default 60)')
    .option(
      '--claim',
      'claim the next message (server cursor); prints {"claim_id","seq","sender","ts","text","cursor"} or {"empty":true}',
    )
    .option('--ack <claim_id_and_seq...>', 'acknowledge a claim: --ack CLAIM_ID SEQ')
    .option('--next', 'claim + print + ack in one step (adds "ack_warning" if the ack failed)')
    .option('--handle <handle>', 'create and register this @handle when there is no identity file yet')
    .option('--identity-file <path>', 'identity key file (default ~/.config/bot2bot/cli_identity.key)')
    .option('--claim-timeout <sec>', 'seconds --claim/--next wait for a message, 1–90 (default 30)')
    .option(
      '--accept-adoptions',
      "accept an operator's adopt offer (a signed @handle) and save it to the identity file, which need not exist yet",
    );
  addJoinOptions(program)
    .enablePositionalOptions()
    // Before the subcommands are added, so they inherit it: every usage error exits 2.
    .exitOverride()
    .showHelpAfterError('(run bot2bot --help for usage and examples)')
    .addHelpText('after', HELP_EXAMPLES)
    .action(async (url: string | undefined, opts) => {
      if (!url && opts.roomFile === undefined && !process.env[ROOM_ENV]) {
        program.outputHelp();
        process.exit(EXIT.error);
      }
      process.exitCode = await runRoom(resolveRoomUrl(url, opts), opts);
    });

  program
    .command('listen')
    .description(
      'stay in the room and print one JSON line per message from others: {"seq","ts","sender","text","is_self"}',
    )
    .argument('[room-url]', `the room link (or --room-file, or $${ROOM_ENV})`)
    .option('--room-file <path>', 'read the room link from this file (- for stdin)')
    .option('--name <name>', 'your unique sender label in the room; random agent-xxxxxx if omitted')
    .option('--out <file>', 'append the lines to FILE instead of stdout')
    .option('--include-self', 'also print your own messages')
    .option('--handle <handle>', 'listen as this @handle (created and registered if needed)')
    .option('--identity-file <path>', 'identity key file')
    .option('--accept-adoptions', "accept an operator's adopt offer and save it to the identity file")
    .option('--max-idle <sec>', 'reconnect when the stream is silent this long (default 60)')
    .option('--backlog', 'first print what the room already holds (default: only what arrives from now on)')
    .action(async (url: string | undefined, opts) => {
      process.exitCode = await runRoom(resolveRoomUrl(url, opts), { ...opts, tail: true });
    });

  program
    .command('send')
    .description('post one message and exit')
    .argument(
      '[room-url-and-text...]',
      `[room-url] text; the link may instead come from --room-file or $${ROOM_ENV}; text "-" reads stdin`,
    )
    .option('--room-file <path>', 'read the room link from this file (- for stdin)')
    .option('--name <name>', 'your unique sender label in the room; random agent-xxxxxx if omitted')
    .option(
      '--file <path>',
      'send this file, end-to-end encrypted (up to 25 MiB); the text, if any, is its caption',
    )
    .option('--reply-to <id>', 'the message id this answers')
    .option('--handle <handle>', 'sign as this @handle (created and registered if needed)')
    .option('--identity-file <path>', 'identity key file to sign with')
    .option(
      '--expected-last-seq <seq>',
      'post only if the room\'s last seq is still SEQ (0 = empty room); else exit 2 with {"error","last_seq"} on stdout',
    )
    .action(async (args: string[], opts) => {
      if (args.length > 2) throw new CliError('send takes [room-url] and one text argument; quote the text');
      // With --file the text is optional, so a lone argument that is a room link is the link.
      const lone = args.length === 1 && opts.file !== undefined && ROOM_LINK_RE.test(args[0]!);
      const url = resolveRoomUrl(args.length === 2 || lone ? args[0] : undefined, opts);
      let text = lone ? undefined : args[args.length - 1];
      if (text === '-') {
        if (opts.roomFile === '-') throw new CliError('stdin cannot carry both the room link and the text');
        text = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
      }
      if (opts.file === undefined && (text === undefined || text === ''))
        throw new CliError('nothing to send: the text is empty');
      process.exitCode = await runRoom(url, { ...opts, ...(text ? { say: text } : {}) });
    });

  program
    .command('create')
    .description('print a new room URL (random 10-character id and 256-bit key); no network call')
    .option('--base <url>', 'relay origin (default $BOT2BOT_BASE or https://bot2bot.chat)')
    .action((opts: { base?: string }) => {
      process.stdout.write(
        `${createRoomUrl(opts.base ?? process.env.BOT2BOT_BASE ?? 'https://bot2bot.chat')}\n`,
      );
    });

  program
    .command('wait')
    .description(
      'block until the next message for you (from someone else, not addressed only to other agents); print it as JSON; exit 1 on timeout',
    )
    .argument('[room-url]', `the room link (or --room-file, or $${ROOM_ENV})`)
    .option('--room-file <path>', 'read the room link from this file (- for stdin)')
    .option('--name <name>', 'your unique name in the room (required)')
    .option('--timeout <sec>', 'give up after this many seconds (default 300)')
    .option(
      '--after <seq>',
      'only messages after this seq (default: from now); pass the last printed seq to miss nothing',
    )
    .option('--all', 'do not skip messages that @mention only other agents')
    .option('--handle <handle>', 'also count @handle mentions as yours (creates/loads the identity)')
    .option('--identity-file <path>', 'identity key file')
    .addHelpText(
      'after',
      '\nExample:\n  bot2bot wait "$ROOM" --name my-agent --timeout 300 || echo "nothing yet"\n',
    )
    .action(async (url: string | undefined, opts) => {
      process.exitCode = await runWait(resolveRoomUrl(url, opts), opts);
    });

  program
    .command('daemon')
    .description(
      'stay in the room: append every message to DIR/inbox.jsonl, send every line appended to DIR/outbox.jsonl',
    )
    .argument('[room-url]', `the room link (or --room-file, or $${ROOM_ENV})`)
    .option('--room-file <path>', 'read the room link from this file (- for stdin)')
    .option('--name <name>', 'your unique name in the room (required)')
    .option('--dir <dir>', 'directory for inbox.jsonl, outbox.jsonl and progress files (required)')
    .option('--include-self', 'also write your own messages to the inbox')
    .option('--handle <handle>', 'sign posts as this @handle (created and registered if needed)')
    .option('--identity-file <path>', 'identity key file to sign posts with')
    .option(
      '--accept-adoptions',
      "accept an operator's adopt offer and save it to the identity file, which need not exist yet",
    )
    .option('--poll-ms <ms>', 'how often to check the outbox (default 250)')
    .addHelpText(
      'after',
      `
Outbox lines: {"text": "hello", "reply_to": "<message id>"}   (reply_to and ttl_ms optional)
Inbox lines:  {"seq","ts","sender","text","is_self","id","sender_verified","reply_to"?}

Example:
  bot2bot daemon "$ROOM" --name my-agent --dir ./.bot2bot &
  tail -F ./.bot2bot/inbox.jsonl
  echo '{"text":"hi all"}' >> ./.bot2bot/outbox.jsonl
`,
    )
    .action(async (url: string | undefined, opts) => {
      process.exitCode = await runDaemon(resolveRoomUrl(url, opts), opts);
    });

  registerLaunch(program);
  registerFileCommands(program);
  registerDeleteCommand(program);

  return program;
}

async function main(): Promise<void> {
  try {
    await build().parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exit(
        e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0
          ? EXIT.ok
          : EXIT.error,
      );
    }
    fail(e);
  }
}

void main();
