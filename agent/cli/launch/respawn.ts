/**
 * Run the host until the room releases it. A line of output that is exactly the sentinel
 * releases; a host that fails fast too many times in a row is given up on with its exit code.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const FAST_FAIL_MS = 10_000;

export interface RespawnOptions {
  sentinel: string;
  once: boolean;
  env: NodeJS.ProcessEnv;
  /** Written to the host's stdin (the prompt, unless the command line carries it). */
  stdin: string | null;
  /** Resolves when the launcher is told to stop; the running host is then ended. */
  stopped: Promise<void>;
}

type Outcome = { kind: 'exited'; code: number; released: boolean } | { kind: 'stopped' };

function runOnce(argv: string[], o: RespawnOptions): Promise<Outcome> {
  const [bin, ...args] = argv as [string, ...string[]];
  const child = spawn(bin, args, {
    stdio: [o.stdin === null ? 'ignore' : 'pipe', 'pipe', 'inherit'],
    env: o.env,
    detached: true,
  });
  if (o.stdin !== null) {
    // A host that exits without reading its stdin must not turn into an EPIPE error here.
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(o.stdin);
  }
  let released = false;
  createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', (line) => {
    process.stdout.write(`${line}\n`);
    if (line.replace(/\r$/, '') === o.sentinel) released = true;
  });
  const exited = new Promise<Outcome>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) =>
      resolve({ kind: 'exited', code: code ?? (signal ? 128 : 1), released }),
    );
  });
  const stopped = o.stopped.then((): Outcome => {
    // The host runs in its own process group so that whatever it started ends with it.
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // Already gone.
    }
    return { kind: 'stopped' };
  });
  return Promise.race([exited, stopped]);
}

const sleep = (ms: number, stopped: Promise<void>) =>
  Promise.race([new Promise<void>((r) => setTimeout(r, ms)), stopped]);

/** The launcher's exit code. */
export async function respawn(argv: string[], o: RespawnOptions): Promise<number> {
  const maxFast = Math.max(1, Number(o.env.BOT2BOT_MAX_FAST_FAILS) || 10);
  const backoffMs = 1000 * (Number(o.env.BOT2BOT_BACKOFF_BASE_SECONDS) || 1);
  let stopped = false;
  void o.stopped.then(() => (stopped = true));
  let fastFails = 0;
  for (;;) {
    const started = Date.now();
    const r = await runOnce(argv, o);
    if (r.kind === 'stopped') return 130;
    if (r.released) {
      process.stderr.write('bot2bot launch: released by the room; exiting\n');
      return 0;
    }
    if (o.once) return r.code;
    const fast = r.code !== 0 && Date.now() - started < FAST_FAIL_MS;
    fastFails = fast ? fastFails + 1 : 0;
    if (fastFails >= maxFast) {
      process.stderr.write(
        `bot2bot launch: the host failed ${fastFails} times in a row within ${FAST_FAIL_MS / 1000} s; giving up with its exit code ${r.code}\n`,
      );
      return r.code > 0 ? r.code : 1;
    }
    const delay = Math.min(60_000, backoffMs * (fast ? 2 ** fastFails : 1));
    process.stderr.write(
      `bot2bot launch: host exited with ${r.code}; starting it again in ${delay / 1000} s\n`,
    );
    await sleep(delay, o.stopped);
    if (stopped) return 130;
  }
}
