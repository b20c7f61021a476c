/** Shared pieces of the `bot2bot` CLI: exit codes, paths, identity loading, output lines. */
import { appendFileSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { displayLabel, displayText } from '../../protocol/labels.js';
import { tailExtras, watchExtra } from './fileLines.js';
import {
  parseRoomUrl,
  ensureIdentity,
  type AdoptionEvent,
  type Identity,
  type Message,
} from '../sdk/index.js';

export const EXIT = { ok: 0, empty: 1, error: 2 } as const;

/** A failure the user can fix; printed without a stack trace, exit code 2 unless it says otherwise. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.error,
  ) {
    super(message);
  }
}

export function configDir(): string {
  return process.env.BOT2BOT_CONFIG_DIR || join(homedir(), '.config', 'bot2bot');
}

export function defaultIdentityFile(): string {
  return join(configDir(), 'cli_identity.key');
}

export function fail(e: unknown): never {
  const text = e instanceof Error ? e.message : String(e);
  process.stderr.write(`bot2bot: error: ${text}\n`);
  process.exit(e instanceof CliError ? e.exitCode : EXIT.error);
}

export interface IdentityFlags {
  handle?: string;
  identityFile?: string;
}

/**
 * The identity for signed work: the identity file if it exists, else a new one for --handle,
 * registered and saved there.
 */
export async function loadOrCreateIdentity(roomUrl: string, flags: IdentityFlags): Promise<Identity> {
  const origin = parseRoomUrl(roomUrl).origin;
  const path = flags.identityFile ?? defaultIdentityFile();
  try {
    return await ensureIdentity(origin, path, flags.handle);
  } catch (e) {
    if (e instanceof Error && /No identity file/.test(e.message)) {
      throw new CliError(
        `this needs an identity: pass --handle NAME to create and register one (saved to ${path}), or --identity-file PATH`,
      );
    }
    throw e;
  }
}

export interface RoomIdentityFlags extends IdentityFlags {
  acceptAdoptions?: boolean;
}

/**
 * The identity a room command runs with, and the file an adopted identity is saved to.
 *
 * Signed work (`required`), `--handle` and an existing identity file that was asked for (by
 * `--identity-file`, by `--accept-adoptions`, or by a signed-only link) mean a signed identity.
 * Otherwise the command runs anonymously. An agent waiting to be adopted has no identity yet, so
 * with `--accept-adoptions` a missing file is where the adopted one will be saved, not an error;
 * and once it is saved, the same command line picks it up on the next start.
 */
export async function resolveRoomIdentity(
  roomUrl: string,
  flags: RoomIdentityFlags,
  required: boolean,
): Promise<{ identity: Identity | undefined; identityFile: string }> {
  const identityFile = flags.identityFile ?? defaultIdentityFile();
  // Load it, or fail with the way to make one: an explicit --identity-file must exist unless it
  // is only where an adoption will be saved.
  const mustSign =
    required || flags.handle !== undefined || (flags.identityFile !== undefined && !flags.acceptAdoptions);
  const useIfSaved =
    flags.identityFile !== undefined || flags.acceptAdoptions === true || parseRoomUrl(roomUrl).signed;
  const signed = mustSign || (useIfSaved && existsSync(identityFile));
  const identity = signed
    ? await loadOrCreateIdentity(roomUrl, { handle: flags.handle, identityFile })
    : undefined;
  return { identity, identityFile };
}

/** The line an adoption prints to stderr: the new name, and where it is kept. */
export function adoptionLine(e: AdoptionEvent): string {
  return `adopted as @${e.handle} by ${e.offeredBy}${e.savedTo ? `; identity saved to ${e.savedTo}` : ''}`;
}

export function clampInt(
  text: string | undefined,
  def: number,
  min: number,
  max: number,
  what: string,
): number {
  if (text === undefined) return def;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new CliError(`${what} must be a number, got "${text}"`);
  return Math.min(Math.max(Math.round(n), min), max);
}

/**
 * The --tail line: the reference's five keys, ts in float seconds; attachments and edits add
 * keys saying what they are and how to fetch the file (fileCommands.ts).
 */
export function tailLine(m: Message): string {
  return JSON.stringify({
    seq: m.seq,
    ts: m.ts / 1000,
    sender: m.sender,
    text: m.text,
    is_self: m.isSelf,
    ...tailExtras(m),
  });
}

/** A fuller line for the daemon inbox and `wait`: adds what a reply needs. */
export function fullLine(m: Message): string {
  const o: Record<string, unknown> = {
    seq: m.seq,
    ts: m.ts / 1000,
    sender: m.sender,
    text: m.text,
    is_self: m.isSelf,
    id: m.id,
    sender_verified: m.senderVerified,
  };
  if (m.replyTo) o.reply_to = m.replyTo;
  return JSON.stringify(o);
}

/** Continuation lines of a --watch message start here, under the text, never at a header's place. */
export const WATCH_INDENT = ' '.repeat(10);

/**
 * The --watch line, meant for a terminal: the label normalised and marked unless the relay
 * verified it, the text without controls, its later lines indented.
 */
export function watchLine(m: Message): string {
  const d = new Date(m.ts);
  const hms = [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  return `${hms}  ${displayLabel(m.sender, m.senderVerified)}${m.senderVerified ? ' ✓' : ''}  ${displayText(m.text, WATCH_INDENT)}${watchExtra(m)}`;
}

/** Write one line to stdout or append it to a file (`-` is stdout). */
export function lineWriter(out: string | undefined): (line: string) => void {
  if (!out || out === '-') return (line) => void process.stdout.write(`${line}\n`);
  return (line) => appendFileSync(out, `${line}\n`);
}

export function onSignals(stop: () => void): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, stop);
}
