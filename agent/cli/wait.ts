/**
 * `bot2bot wait <room-url> --name N`: a push trigger for turn-based hosts. Blocks until the next
 * message from someone else that is not addressed only to other agents, prints it as one JSON
 * line and exits 0; exits 1 on timeout. Pass the printed seq back as --after so nothing that
 * arrives between two waits is missed.
 */
import { addressedToOthersOnly } from '../../protocol/index.js';
import { Room, type Identity } from '../sdk/index.js';
import { CliError, EXIT, clampInt, fullLine, loadOrCreateIdentity, onSignals } from './common.js';

export interface WaitFlags {
  name?: string;
  timeout?: string;
  after?: string;
  all?: boolean;
  handle?: string;
  identityFile?: string;
}

export async function runWait(url: string, f: WaitFlags): Promise<number> {
  if (!f.name)
    throw new CliError('wait needs --name: your unique name in the room (messages from it are yours)');
  const timeoutS = clampInt(f.timeout, 300, 1, 86_400, '--timeout');
  let after: number | 'now' = 'now';
  if (f.after !== undefined) {
    const n = Number(f.after);
    if (!Number.isSafeInteger(n) || n < 0)
      throw new CliError(`--after must be a seq (an integer), got "${f.after}"`);
    after = n;
  }
  let identity: Identity | undefined;
  if (f.handle || f.identityFile) identity = await loadOrCreateIdentity(url, f);
  const room = new Room(url, { name: f.name, identity });
  const myNames = [f.name, ...(identity ? [identity.handle] : [])];
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), timeoutS * 1000);
  onSignals(() => stop.abort());
  try {
    for await (const m of room.stream({ after, signal: stop.signal })) {
      if (!f.all && addressedToOthersOnly(m.text, myNames)) continue;
      process.stdout.write(`${fullLine(m)}\n`);
      return EXIT.ok;
    }
  } finally {
    clearTimeout(timer);
    room.close();
  }
  process.stdout.write(`${JSON.stringify({ empty: true, timeout_seconds: timeoutS })}\n`);
  return EXIT.empty;
}
