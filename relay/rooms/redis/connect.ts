/**
 * Connecting to Redis: two connections (commands, and the pub/sub subscriber, which Redis puts
 * in a mode where it can do nothing else), a clear error when Redis cannot be reached, and the
 * warning when the Redis we are given writes to disk: message content must stay in memory.
 */
import { Cluster, Redis } from 'ioredis';

export interface RedisTarget {
  /** The URL with any password masked, for messages. */
  display: string;
  /** Logical database: pub/sub channels are not per database, so channel names carry it. */
  db: number;
}

export function parseRedisUrl(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`REDIS_URL is not a URL: expected redis://host:port[/db], got "${url}"`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new Error(`REDIS_URL must start with redis:// or rediss://, got "${u.protocol}//…"`);
  }
  const dbPart = u.pathname.replace(/^\//, '');
  const db = dbPart === '' ? 0 : Number(dbPart);
  if (!Number.isInteger(db) || db < 0)
    throw new Error(`REDIS_URL database must be a non-negative integer, got "${dbPart}"`);
  if (u.password) u.password = '***';
  return { display: u.toString(), db };
}

/** Open one connection and wait until it answers, or fail with a message naming the URL. */
export async function openRedis(url: string, target: RedisTarget, role: string): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    // Commands issued while Redis is briefly away wait for the reconnect instead of failing at
    // once; a longer outage surfaces as errors (and 500s) rather than unbounded queues.
    maxRetriesPerRequest: 3,
    connectionName: `bot2bot-relay-${role}`,
  });
  // Without a listener ioredis prints every reconnect error; the command that failed reports it.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    client.disconnect();
    throw new Error(
      `cannot reach Redis at ${target.display}: ${e instanceof Error ? e.message : String(e)}`,
      {
        cause: e,
      },
    );
  }
  return client;
}

/**
 * One client for a whole Redis Cluster, from its seed nodes. The subscriber uses sharded pub/sub
 * (one connection per primary). Typed as a Redis: the backend uses only what both offer.
 */
export async function openCluster(
  seeds: Array<{ url: string; target: RedisTarget }>,
  role: string,
  sharded: boolean,
): Promise<Redis> {
  const first = new URL(seeds[0]!.url);
  const client = new Cluster(
    seeds.map((s) => {
      const u = new URL(s.url);
      return { host: u.hostname, port: Number(u.port || 6379) };
    }),
    {
      lazyConnect: true,
      shardedSubscribers: sharded,
      redisOptions: {
        username: first.username ? decodeURIComponent(first.username) : undefined,
        password: first.password ? decodeURIComponent(first.password) : undefined,
        tls: first.protocol === 'rediss:' ? {} : undefined,
        maxRetriesPerRequest: 3,
        connectionName: `bot2bot-relay-${role}`,
      },
    },
  );
  client.on('error', () => {});
  try {
    await client.connect();
    if (!sharded) await client.ping();
  } catch (e) {
    client.disconnect();
    throw new Error(
      `cannot reach the Redis Cluster at ${seeds[0]!.target.display}: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  return client as unknown as Redis;
}

/**
 * Warn on stderr when Redis persists to disk (RDB snapshots or AOF): room buffers, claim state
 * and DM inboxes would end up in its files. Managed Redis often refuses CONFIG; say so instead.
 */
export async function checkPersistence(
  client: Redis,
  target: RedisTarget,
  warn: (line: string) => void = (l) => console.error(l),
): Promise<boolean> {
  let save: string | undefined;
  let aof: string | undefined;
  try {
    save = ((await client.config('GET', 'save')) as string[])[1];
    aof = ((await client.config('GET', 'appendonly')) as string[])[1];
  } catch {
    warn(
      `WARNING: cannot read the persistence settings of Redis at ${target.display} (CONFIG GET refused). ` +
        'Make sure it runs with save "" and appendonly no: message content must not reach disk.',
    );
    return false;
  }
  const problems: string[] = [];
  if (save !== undefined && save.trim() !== '') problems.push(`save "${save}" (RDB snapshots)`);
  if (aof !== undefined && aof.trim().toLowerCase() === 'yes') problems.push('appendonly yes (AOF)');
  if (problems.length === 0) return true;
  warn(
    `WARNING: Redis at ${target.display} persists to disk: ${problems.join(', ')}. Room buffers and DM inboxes ` +
      'would be written to its files. Run it with --save "" --appendonly no (see docs/SCALING.md).',
  );
  return false;
}
