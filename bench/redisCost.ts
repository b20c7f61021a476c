/**
 * What one post costs Redis, away from the network and the relay's own CPU: `npm run bench:redis`
 * posts through the Redis backend into a fresh redis-server (in memory, loopback), 64 in flight,
 * and reads INFO commandstats; it also prints this process's CPU per post (the client side of
 * a post: building the message, the script call, its answer). Rooms fill past the replay cap
 * so trimming is part of the figure.
 */
import { Redis } from 'ioredis';
import { defaultConfig } from '../relay/config.js';
import { RedisBackend } from '../relay/rooms/redisBackend.js';
import { parseCommandStats } from './lib/server.js';
import { startRedis } from '../test-support/redis.js';

const ROOMS = Number(process.env.ROOMS ?? 20);
const POSTS = Number(process.env.POSTS ?? 20_000);
const CIPHERTEXT = 'A'.repeat(Number(process.env.BYTES ?? 256));

async function main(): Promise<void> {
  const redis = await startRedis();
  const admin = new Redis(redis.url);
  const backend = await RedisBackend.connect(redis.url, defaultConfig({}).limits);
  try {
    const draft = { sender: 'bench', sender_verified: false, ciphertext: CIPHERTEXT, nonce: 'B'.repeat(32) };
    // Warm up: create the rooms and load the scripts, then measure from a clean slate.
    for (let r = 0; r < ROOMS; r++) await backend.append(`cost${r}`, draft, false, false, Date.now());
    await admin.config('RESETSTAT');
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    const inflight: Array<Promise<unknown>> = [];
    for (let i = 0; i < POSTS; i++) {
      inflight.push(backend.append(`cost${i % ROOMS}`, draft, false, false, Date.now()));
      if (inflight.length >= 64) await Promise.all(inflight.splice(0));
    }
    await Promise.all(inflight);
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    const s = parseCommandStats(await admin.info('commandstats'));
    console.log(
      `${POSTS} posts into ${ROOMS} rooms (${CIPHERTEXT.length} B ciphertext): Redis ${(s.usec / POSTS).toFixed(1)} µs/post ` +
        `(script ${(s.scriptUsec / Math.max(1, s.scriptCalls)).toFixed(1)} µs/call over ${s.scriptCalls} calls), ` +
        `this process ${((cpu.user + cpu.system) / POSTS).toFixed(1)} µs/post, ${Math.round(POSTS / (wallMs / 1000))} posts/s end to end`,
    );
  } finally {
    await backend.close();
    admin.disconnect();
    await redis.close();
  }
}

void main();
