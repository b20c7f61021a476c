/**
 * A real `redis-server` for tests, on a free loopback port with persistence off, exactly as
 * docs/SCALING.md tells operators to run it. Nothing is mocked: the relay talks RESP to it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestRedis {
  url: string;
  port: number;
  /** The watchdog shell's process id (killing it stops the server). */
  pid: number;
  close(): Promise<void>;
}

const REDIS_BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server';
/** $1 is the binary, the rest its arguments; exits when stdin reaches EOF, stopping redis. */
const WATCHDOG =
  'bin="$1"; shift; "$bin" "$@" & pid=$!; trap \'kill $pid 2>/dev/null; exit 0\' TERM; read _ignored; kill $pid 2>/dev/null; wait $pid';

function checkBinary(): void {
  const r = spawnSync(REDIS_BIN, ['--version'], { encoding: 'utf8' });
  if (r.error)
    throw new Error(
      `cannot run ${REDIS_BIN}: ${r.error.message} (install the redis-server package; .ci/run does)`,
    );
}
/** Enough logical databases for every relay a test run starts (see test-support/relay.ts). */
export const TEST_DATABASES = 4096;

/**
 * redis-server's arguments for a loopback server on `port` that keeps nothing on disk: no RDB
 * snapshots and no AOF, so message content never reaches a disk (docs/SCALING.md).
 */
export function inMemoryArgs(port: number): string[] {
  return [
    '--save',
    '',
    '--appendonly',
    'no',
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--loglevel',
    'warning',
  ];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once the port answers PING with PONG, or rejects after `ms`. */
async function waitForPong(port: number, child: ChildProcess, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`redis-server exited with code ${child.exitCode} before answering`);
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      let buf = '';
      sock.setTimeout(500, () => {
        sock.destroy();
        resolve(false);
      });
      sock.on('connect', () => sock.write('PING\r\n'));
      sock.on('data', (d) => {
        buf += d.toString();
        if (buf.includes('\r\n')) {
          sock.destroy();
          resolve(buf.startsWith('+PONG'));
        }
      });
      sock.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`redis-server on port ${port} did not answer PING within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Start `redis-server` with no RDB snapshots and no AOF. Retries on a port race (another process
 * took the port between our probe and redis's bind); `onPort` restarts a stopped one where it was.
 */
export async function startRedis(onPort?: number, extraArgs: string[] = []): Promise<TestRedis> {
  checkBinary();
  let lastError: unknown = null;
  for (let attempt = 0; attempt < (onPort ? 1 : 5); attempt++) {
    const port = onPort ?? (await freePort());
    const args = [...inMemoryArgs(port), '--databases', String(TEST_DATABASES), ...extraArgs];
    // A small shell stays between us and redis-server: when our stdin pipe to it closes (close()
    // or this process dying, however abruptly), it stops redis. No orphan outlives a test run.
    const child = spawn('sh', ['-c', WATCHDOG, 'sh', REDIS_BIN, ...args], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += d.toString()));
    const spawned = await new Promise<boolean>((resolve) => {
      child.once('spawn', () => resolve(true));
      child.once('error', (e) => {
        lastError = new Error(`cannot start ${REDIS_BIN}: ${e.message} (install the redis-server package)`);
        resolve(false);
      });
    });
    if (!spawned) break;
    try {
      await waitForPong(port, child, 5000);
    } catch (e) {
      child.kill('SIGTERM');
      lastError = new Error(
        `${e instanceof Error ? e.message : String(e)}${stderr ? `: ${stderr.trim()}` : ''}`,
      );
      continue;
    }
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      pid: child.pid!,
      close: async () => {
        child.stdin?.end();
        await exited;
      },
    };
  }
  throw lastError instanceof Error ? lastError : new Error('could not start redis-server');
}

let shared: Promise<TestRedis> | null = null;

/**
 * One redis-server for this test process: the one the cluster run's global setup started
 * (RELAY_TEST_REDIS_URL), or one started here on first use and stopped when the process exits.
 */
export async function sharedRedisUrl(): Promise<string> {
  const given = process.env.RELAY_TEST_REDIS_URL;
  if (given) return given;
  shared ??= startRedis().then((r) => {
    // Nothing to do at exit: the watchdog notices our end of its stdin closing.
    return r;
  });
  return (await shared).url;
}

/** The cluster test run on a Redis Cluster instead of independent servers (RELAY_TEST_REDIS_CLUSTER=1). */
export const TEST_REDIS_CLUSTER = process.env.RELAY_TEST_REDIS_CLUSTER === '1';

/** How many redis-servers the cluster test run shards over (RELAY_TEST_REDIS_SHARDS, default 3). */
export const TEST_SHARDS = Math.max(1, Number(process.env.RELAY_TEST_REDIS_SHARDS ?? 3) || 3);

/** `n` redis-servers, for a sharded cluster: their URLs joined with commas are one REDIS_URL. */
export async function startRedisShards(n: number): Promise<TestRedis[]> {
  const started = await Promise.allSettled(Array.from({ length: n }, () => startRedis()));
  const ok = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(ok.map((r) => r.close()));
    throw failed.reason;
  }
  return ok;
}

/**
 * A Redis Cluster of `n` primaries on loopback (no replicas): cluster-enabled servers whose node
 * files go to a temporary directory, joined with `redis-cli --cluster create`. Resolves once
 * every node reports cluster_state:ok. The URLs are the seed nodes.
 */
export async function startRedisCluster(n = 3): Promise<TestRedis[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'b2b-rcluster-'));
  const nodes: TestRedis[] = [];
  try {
    for (let i = 0; i < n; i++) {
      nodes.push(
        await startRedis(undefined, [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${i}.conf`,
          '--dir',
          dir,
          '--databases',
          '1',
        ]),
      );
    }
    const create = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((r) => `127.0.0.1:${r.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8' },
    );
    if (create.status !== 0)
      throw new Error(`redis-cli --cluster create failed: ${create.stderr || create.stdout}`);
    const { Redis } = await import('ioredis');
    const deadline = Date.now() + 15_000;
    for (const r of nodes) {
      const c = new Redis(r.url, { maxRetriesPerRequest: 1 });
      try {
        while (!/cluster_state:ok/.test(String(await c.call('CLUSTER', 'INFO')))) {
          if (Date.now() > deadline)
            throw new Error('Redis Cluster did not reach cluster_state:ok within 15 s');
          await new Promise((res) => setTimeout(res, 100));
        }
      } finally {
        c.disconnect();
      }
    }
    return nodes.map((r) => ({
      ...r,
      close: async () => {
        await r.close();
        rmSync(dir, { recursive: true, force: true });
      },
    }));
  } catch (e) {
    await Promise.all(nodes.map((r) => r.close()));
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * A URL on a logical database no other relay in this run uses, so that relays started one after
 * another (or in parallel test files) never see each other's rooms. Numbers come from a counter
 * in database 0 of the first server, shared by every test process. `base` may list several
 * servers (shards), comma-separated: each gets the same database number.
 */
export async function freshRedisUrl(base?: string): Promise<string> {
  const urls = (base ?? (await sharedRedisUrl())).split(',');
  const { Cluster, Redis } = await import('ioredis');
  // On a Redis Cluster the number is a key namespace (relay/rooms/redisBackend.ts), and the
  // counter's key may live on any primary.
  const c = TEST_REDIS_CLUSTER
    ? new Cluster(
        urls.map((u) => ({ host: new URL(u).hostname, port: Number(new URL(u).port) })),
        { lazyConnect: true },
      )
    : new Redis(urls[0]!, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await c.connect();
    const n = await c.incr('b2b-test:next-db');
    if (n >= TEST_DATABASES)
      throw new Error(`test redis ran out of databases (${TEST_DATABASES}); start fewer relays per run`);
    return urls.map((u) => `${u}/${n}`).join(',');
  } finally {
    c.disconnect();
  }
}
