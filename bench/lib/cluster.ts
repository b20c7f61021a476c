/**
 * `--spawn cluster`: a redis-server (in memory only, loopback, free port) and two relay nodes
 * on it, as docs/SCALING.md runs them. With pinning, all three share core 0, the one core a
 * single relay gets: the cluster is measured on the same hardware, so its figures show what
 * the Redis round trip costs per message rather than what a second core buys.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { sleep } from './stats.js';
import { canConnect, freePort, GroupProbe, ServerProbe, spawnServer, spawnTracked, type Spawned } from './server.js';

export const CLUSTER_NODES = 2;

export interface SpawnedCluster {
  urls: string[];
  redisUrl: string;
  pids: Record<string, number>;
  probe: GroupProbe;
  command: string;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  root: string;
  pinCore: string | null;
  /** Profiles of the nodes go to <dir>-node1, <dir>-node2 (Redis is not profiled). */
  cpuProfDir: string | null;
  env: Record<string, string>;
}

const REDIS_BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server';

async function spawnRedis(pinCore: string | null): Promise<{ url: string; pid: number; command: string; stop(): Promise<void> }> {
  const probe = spawnSync(REDIS_BIN, ['--version'], { encoding: 'utf8' });
  if (probe.error) throw new Error(`cannot run ${REDIS_BIN}: ${probe.error.message} (install the redis-server package; set REDIS_SERVER_BIN for another path)`);
  const port = await freePort();
  // No RDB snapshots and no AOF: message content never reaches a disk (docs/SCALING.md).
  const args = ['--save', '', '--appendonly', 'no', '--port', String(port), '--bind', '127.0.0.1', '--loglevel', 'warning'];
  const argv = [...(pinCore !== null ? ['taskset', '-c', pinCore] : []), REDIS_BIN, ...args];
  const child: ChildProcess = spawnTracked(argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (exited) throw new Error(`redis-server exited at start:\n${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not listen on ${port} within 10 s:\n${stderr}`);
    }
    await sleep(50);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid!,
    command: argv.map((a) => (a === '' ? '""' : a)).join(' '),
    async stop() {
      if (exited) return;
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await done;
      clearTimeout(t);
    },
  };
}

export async function spawnCluster(o: ClusterOptions): Promise<SpawnedCluster> {
  const redis = await spawnRedis(o.pinCore);
  const nodes: Spawned[] = [];
  const stop = async () => {
    // Nodes first: a node stopping cleanly withdraws its presence from Redis.
    await Promise.all(nodes.map((n) => n.stop()));
    await redis.stop();
  };
  try {
    for (let i = 1; i <= CLUSTER_NODES; i++) {
      nodes.push(
        await spawnServer('relay', {
          root: o.root,
          pinCore: o.pinCore,
          cpuProfDir: o.cpuProfDir ? `${o.cpuProfDir}-node${i}` : null,
          env: { ...o.env, REDIS_URL: redis.url },
        }),
      );
    }
  } catch (e) {
    await stop();
    throw e;
  }
  const pids: Record<string, number> = { redis: redis.pid };
  nodes.forEach((n, i) => (pids[`node${i + 1}`] = n.pid));
  return {
    urls: nodes.map((n) => n.url),
    redisUrl: redis.url,
    pids,
    probe: new GroupProbe(Object.entries(pids).map(([name, pid]) => ({ name, probe: new ServerProbe(pid) }))),
    command: [redis.command, ...nodes.map((n) => n.command)].map((c) => c.replace(`${o.root}${path.sep}`, '')).join(' ; '),
    stop,
  };
}
