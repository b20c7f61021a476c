/**
 * The server under test, as far as the bench can see it: its pid (given, spawned, or found by
 * the listening port in /proc), its resident memory and its CPU time.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { sleep } from './stats.js';

const CLK_TCK = 100;

/** What the scenarios read from the server side: memory and CPU, and for a cluster each part's CPU. */
export interface Probe {
  rssKiB(): number | null;
  cpuMs(): number | null;
  /** CPU time (ms) per process, by name; only for a target made of several processes. */
  partsCpuMs?(): Record<string, number | null>;
  /** Redis time (INFO commandstats) summed over the shards: all commands, and the scripts alone. */
  redisUsec?(): Promise<RedisUsec | null>;
}

export interface RedisUsec {
  /** Microseconds over every command kind; commands run by scripts count here a second time. */
  usec: number;
  /** EVALSHA/EVAL calls and their microseconds (every room operation is one script). */
  scriptCalls: number;
  scriptUsec: number;
}

/** Parse `INFO commandstats` into totals. */
export function parseCommandStats(info: string): RedisUsec {
  const out: RedisUsec = { usec: 0, scriptCalls: 0, scriptUsec: 0 };
  for (const m of info.matchAll(/^cmdstat_([a-z|_-]+):calls=(\d+),usec=(\d+)/gm)) {
    const usec = Number(m[3]);
    out.usec += usec;
    if (m[1] === 'evalsha' || m[1] === 'eval') {
      out.scriptCalls += Number(m[2]);
      out.scriptUsec += usec;
    }
  }
  return out;
}

export class ServerProbe implements Probe {
  constructor(readonly pid: number | null) {}

  /** Resident set size in KiB, or null when unknown. */
  rssKiB(): number | null {
    if (this.pid === null) return null;
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m ? Number(m[1]) : null;
    } catch {
      return null;
    }
  }

  /** User+system CPU time in ms, or null when unknown. */
  cpuMs(): number | null {
    if (this.pid === null) return null;
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
    } catch {
      return null;
    }
  }
}

/**
 * Several processes seen as one server (a cluster: its relay nodes and Redis): memory and CPU
 * are sums, so CPU per post is what the whole cluster spends on one message.
 */
export class GroupProbe implements Probe {
  constructor(
    readonly parts: Array<{ name: string; probe: ServerProbe }>,
    /** Reads INFO commandstats of every Redis shard, when the group has any. */
    readonly redisUsec?: () => Promise<RedisUsec | null>,
  ) {}

  rssKiB(): number | null {
    return this.sum((p) => p.rssKiB());
  }

  cpuMs(): number | null {
    return this.sum((p) => p.cpuMs());
  }

  partsCpuMs(): Record<string, number | null> {
    return Object.fromEntries(this.parts.map((x) => [x.name, x.probe.cpuMs()]));
  }

  private sum(f: (p: ServerProbe) => number | null): number | null {
    let total = 0;
    for (const x of this.parts) {
      const v = f(x.probe);
      if (v === null) return null;
      total += v;
    }
    return total;
  }
}

/** Find the pid listening on a TCP port via /proc (works only for processes we may inspect). */
export function findListeningPid(port: number): number | null {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue; // 0A = LISTEN
      const local = f[1] ?? '';
      if (parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) inodes.add(f[9]!);
    }
  }
  if (!inodes.size) return null;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return Number(pid);
      } catch {
        /* fd closed meanwhile */
      }
    }
  }
  return null;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export type Target = 'relay' | 'baseline';

/**
 * Every process this bench started and has not stopped yet: killed when the bench exits by any
 * path (an error, process.exit, a second Ctrl-C), so no pinned server outlives a run.
 */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** Start a child process that the exit hook above will not leave behind. */
export function spawnTracked(argv: string[], opts: Parameters<typeof spawn>[2]): ChildProcess {
  const child = spawn(argv[0]!, argv.slice(1), opts);
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

export interface Spawned {
  target: Target;
  url: string;
  pid: number;
  command: string;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  root: string;
  pinCore: string | null;
  cpuProfDir: string | null;
  env: Record<string, string>;
}

/**
 * Start a server on a free loopback port, pinned to one core. The relay runs from its compiled
 * output (as deployed); the baseline runs through tsx's loader, which costs only at start-up.
 */
export async function spawnServer(target: Target, o: SpawnOptions): Promise<Spawned> {
  const port = await freePort();
  const nodeArgs: string[] = [];
  if (o.cpuProfDir) {
    mkdirSync(o.cpuProfDir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`);
  }
  let script: string;
  if (target === 'relay') {
    script = path.join(o.root, 'dist/node/relay/main.js');
    try {
      readFileSync(script);
    } catch {
      throw new Error(`${script} not found: run \`npm run build:node\` first`);
    }
    // --cpu-prof writes its file on a normal exit only, so the wrapper turns signals into one.
    if (o.cpuProfDir) {
      nodeArgs.push(path.join(o.root, 'bench/lib/exitOnSignal.mjs'));
    }
  } else {
    nodeArgs.push('--import', 'tsx');
    script = path.join(o.root, 'bench/baseline/server.ts');
  }
  const argv = [
    ...(o.pinCore !== null ? ['taskset', '-c', o.pinCore] : []),
    process.execPath,
    ...nodeArgs,
    script,
  ];
  const child: ChildProcess = spawnTracked(argv, {
    cwd: o.root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...o.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited) throw new Error(`${target} exited at start:\n${stderr}`);
    if (await canConnect(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${target} did not listen on ${port} within 20 s:\n${stderr}`);
    }
    await sleep(100);
  }
  return {
    target,
    url,
    pid: child.pid!,
    command: `${Object.entries({ PORT: port, HOST: '127.0.0.1', ...o.env })
      .map(([k, v]) => `${k}=${v}`)
      .join(
        ' ',
      )} ${argv.map((a) => (path.relative(o.root, a).startsWith('..') ? a : a === process.execPath ? 'node' : path.relative(o.root, a) || a)).join(' ')}`,
    async stop() {
      if (exited) return;
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(t);
    },
  };
}

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The CPU list this process may run on (e.g. "1" or "0-1"). */
export function allowedCpus(pid: number | 'self' = 'self'): string {
  const m = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? m[1]! : '?';
}

/** Pin every thread of this process to one core (threads created later inherit it). */
export function pinSelf(core: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', core, String(process.pid)], { stdio: 'ignore' });
}

/** CPU time (ms) spent by everything on the machine, from /proc/stat: to see who else ran. */
export function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return ((total - idle) * 1000) / CLK_TCK;
}
