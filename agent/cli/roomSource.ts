/**
 * Where a command gets its room link: the argument, --room-file (a path, or `-` for stdin), or
 * $BOT2BOT_ROOM_URL. The last two keep the key (the link's #k= fragment) out of `ps` and shell
 * history. The link is checked here so a bad one fails before any network call.
 */
import { readFileSync } from 'node:fs';
import { parseRoomUrl } from '../sdk/index.js';
import { CliError } from './common.js';

export const ROOM_ENV = 'BOT2BOT_ROOM_URL';

export interface RoomSourceFlags {
  roomFile?: string;
}

function readSource(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (e) {
    throw new CliError(
      `cannot read the room link from ${path === '-' ? 'stdin' : path}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

export function resolveRoomUrl(
  arg: string | undefined,
  f: RoomSourceFlags,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const sources = [arg !== undefined, f.roomFile !== undefined].filter(Boolean).length;
  if (sources > 1)
    throw new CliError('give the room link once: as an argument or with --room-file, not both');
  let url: string | undefined;
  if (arg !== undefined) url = arg;
  else if (f.roomFile !== undefined) url = readSource(f.roomFile).trim().split(/\r?\n/)[0]?.trim();
  else url = env[ROOM_ENV]?.trim() || undefined;
  if (!url)
    throw new CliError(
      `no room link: pass it as an argument, with --room-file FILE (- for stdin), or in $${ROOM_ENV}`,
    );
  try {
    parseRoomUrl(url);
  } catch (e) {
    throw new CliError((e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' '));
  }
  return url;
}
