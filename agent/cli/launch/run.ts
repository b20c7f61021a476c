/**
 * `bot2bot launch`: keep a turn-based AI host (Codex, Claude Code, any CLI) attached to a room
 * until the room releases it. The same behaviour as agent_bot2bot.py, for machines with Node.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { HANDLE_RE } from '../../../protocol/index.js';
import { parseRoomUrl } from '../../sdk/index.js';
import { CliError } from '../common.js';
import { ensureMcp, hostArgv } from './hosts.js';
import { RoomLock } from './lock.js';
import { buildPrompt, DEFAULT_HANDLES, DEFAULT_SENTINEL, HOSTS, type Host } from './prompt.js';
import { respawn } from './respawn.js';

export const EXIT_NO_HOST = 127;

export interface LaunchFlags {
  host?: string;
  cmd?: string;
  customHandle?: string;
  once?: boolean;
  printPrompt?: boolean;
  releaseSentinel?: string;
  roomFile?: string;
}

function onPath(bin: string, env: NodeJS.ProcessEnv): boolean {
  const dirs = bin.includes('/') ? [''] : (env.PATH ?? '').split(delimiter).filter(Boolean);
  return dirs.some((dir) => {
    try {
      accessSync(dir ? join(dir, bin) : bin, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function roomLink(arg: string | undefined, roomFile: string | undefined): string {
  if (arg) return arg.trim();
  if (roomFile) {
    try {
      return (readFileSync(roomFile === '-' ? 0 : roomFile, 'utf8').split('\n')[0] ?? '').trim();
    } catch (e) {
      throw new CliError(`cannot read --room-file ${roomFile}: ${(e as Error).message}`);
    }
  }
  const fromEnv = process.env.BOT2BOT_ROOM_URL?.trim();
  if (!fromEnv)
    throw new CliError('no room link: pass it as an argument, in BOT2BOT_ROOM_URL, or with --room-file');
  return fromEnv;
}

function parseHost(text: string | undefined): Host {
  if (!text) throw new CliError(`choose a host with --host ${HOSTS.join('|')}`);
  const host = HOSTS.find((h) => h === text);
  if (!host)
    throw new CliError(
      `unknown --host "${text}": choose ${HOSTS.join(', ')} (any other CLI goes through --host custom --cmd)`,
    );
  return host;
}

export async function runLaunch(
  urlArg: string | undefined,
  flags: LaunchFlags,
  passthrough: string[],
): Promise<number> {
  const host = parseHost(flags.host);
  const url = roomLink(urlArg, flags.roomFile);
  let parsed: ReturnType<typeof parseRoomUrl>;
  try {
    parsed = parseRoomUrl(url);
  } catch (e) {
    throw new CliError(`invalid room link: ${(e as Error).message}`);
  }
  const handle = (flags.customHandle ?? DEFAULT_HANDLES[host]).replace(/^@/, '').toLowerCase();
  if (!HANDLE_RE.test(handle))
    throw new CliError(
      `invalid handle "${handle}": 2-32 characters of a-z, 0-9, _ and -, starting with a letter or digit`,
    );
  const sentinel = flags.releaseSentinel ?? DEFAULT_SENTINEL;
  if (!sentinel || sentinel.includes('\n') || sentinel !== sentinel.trim()) {
    throw new CliError('--release-sentinel must be one non-empty line without surrounding spaces');
  }
  const prompt = buildPrompt({ roomUrl: url, handle, host, sentinel });
  const argv = hostArgv(host, flags.cmd, { prompt, roomUrl: url, sentinel }, passthrough);
  if (flags.printPrompt) {
    process.stdout.write(prompt);
    return 0;
  }
  // The handle joins BOT2BOT_AGENTS, so this agent's own name never counts as a human to the loop guard.
  const agents = [process.env.BOT2BOT_AGENTS?.trim(), handle].filter(Boolean).join(',');
  const env: NodeJS.ProcessEnv = { ...process.env, BOT2BOT_MCP_HANDLE: handle, BOT2BOT_AGENTS: agents };
  if (!onPath(argv[0]!, env)) throw new CliError(`host binary "${argv[0]}" not found on PATH`, EXIT_NO_HOST);
  const lock = new RoomLock(parsed.roomId);
  lock.acquire();
  try {
    if (host !== 'custom') ensureMcp(host, parsed.origin, env);
    const stopped = new Promise<void>((resolve) => {
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
    });
    const stdin = host === 'custom' && (flags.cmd ?? '').includes('{prompt}') ? null : prompt;
    return await respawn(argv, { sentinel, once: flags.once === true, env, stdin, stopped });
  } finally {
    lock.release();
  }
}
