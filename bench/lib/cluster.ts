/**
 * `--spawn cluster`: redis-servers (in memory only, loopback, free ports; `--shards`, default 1)
 * and relay nodes sharding rooms over them (`--nodes`, default 2), as docs/SCALING.md runs them.
 * With pinning, all share core 0, the one core a single relay gets: the cluster is measured on
 * the same hardware, so its figures show what the Redis round trips cost per message rather
 * than what more cores buy. The probe also reads every shard's INFO commandstats.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { inMemoryArgs } from '../../test-support/redis.js';
import { sleep } from './stats.js';
import { Redis } from 'ioredis';
import {
  canConnect,
  freePort,
  GroupProbe,
  parseCommandStats,
  ServerProbe,
  spawnServer,
  spawnTracked,
  type RedisUsec,
  type Spawned,
} from './server.js';

export const CLUSTER_NODES = 2;
export const CLUSTER_SHARDS = 1;

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
  nodes?: number;
  shards?: number;
}

const REDIS_BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server';

async function spawnRedis(
  pinCore: string | null,
): Promise<{ url: string; pid: number; command: string; stop(): Promise<void> }> {
  const probe = spawnSync(REDIS_BIN, ['--version'], { encoding: 'utf8' });
  if (probe.error)
    throw new Error(
      `cannot run ${REDIS_BIN}: ${probe.error.message} (install the redis-server package; set REDIS_SERVER_BIN for another path)`,
    );
  const port = await freePort();
  const args = inMemoryArgs(port);
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
  const redis: Array<Awaited<ReturnType<typeof spawnRedis>>> = [];
  const nodes: Spawned[] = [];
  const admins: Redis[] = [];
  const stop = async () => {
    for (const a of admins) a.disconnect();
    // Nodes first: a node stopping cleanly withdraws its presence from Redis.
    await Promise.all(nodes.map((n) => n.stop()));
    await Promise.all(redis.map((r) => r.stop()));
  };
  try {
    for (let i = 0; i < (o.shards ?? CLUSTER_SHARDS); i++) redis.push(await spawnRedis(o.pinCore));
    const redisUrl = redis.map((r) => r.url).join(',');
    for (let i = 1; i <= (o.nodes ?? CLUSTER_NODES); i++) {
      nodes.push(
        await spawnServer('relay', {
          root: o.root,
          pinCore: o.pinCore,
          cpuProfDir: o.cpuProfDir ? `${o.cpuProfDir}-node${i}` : null,
          env: { ...o.env, REDIS_URL: redisUrl },
        }),
      );
    }
    for (const r of redis)
      admins.push(new Redis(r.url, { maxRetriesPerRequest: 1, connectionName: 'bench-stats' }));
  } catch (e) {
    await stop();
    throw e;
  }
  const pids: Record<string, number> = {};
  redis.forEach((r, i) => (pids[redis.length === 1 ? 'redis' : `redis${i + 1}`] = r.pid));
  nodes.forEach((n, i) => (pids[`node${i + 1}`] = n.pid));
  const redisUsec = async (): Promise<RedisUsec | null> => {
    try {
      const all = await Promise.all(admins.map(async (a) => parseCommandStats(await a.info('commandstats'))));
      return all.reduce((x, y) => ({
        usec: x.usec + y.usec,
        scriptCalls: x.scriptCalls + y.scriptCalls,
        scriptUsec: x.scriptUsec + y.scriptUsec,
      }));
    } catch {
      return null;
    }
  };
  return {
    urls: nodes.map((n) => n.url),
    redisUrl: redis.map((r) => r.url).join(','),
    pids,
    probe: new GroupProbe(
      Object.entries(pids).map(([name, pid]) => ({ name, probe: new ServerProbe(pid) })),
      redisUsec,
    ),
    command: [...redis.map((r) => r.command), ...nodes.map((n) => n.command)]
      .map((c) => c.replace(`${o.root}${path.sep}`, ''))
      .join(' ; '),
    stop,
  };
}
