/**
 * Attachment throughput: a 10 MiB file sent with the TypeScript SDK (seal + upload + post) and
 * downloaded (fetch + open + SHA-256 check), end to end through a relay on 127.0.0.1, and the
 * relay's part alone (pre-sealed chunks PUT and GET). Medians of `--runs` runs.
 *
 *   npx tsx bench/blobs.ts [--runs 5] [--mib 10] [--redis redis://127.0.0.1:6379/15]
 *
 * The relay runs in this process (one Node thread for client and relay alike), so the end-to-end
 * figures include the client's crypto on the same core; `--redis` measures the cluster store.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { FILE_CHUNK_BYTES, chunkCount, mintRoom, newFileSecret, sealFile } from '../protocol/index.js';
import { Room } from '../agent/sdk/index.js';
import { defaultConfig } from '../relay/config.js';
import { createRelay } from '../relay/server.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    mib: { type: 'string', default: '10' },
    redis: { type: 'string' },
  },
});
const runs = Math.max(1, Number(args.runs));
const size = Math.round(Number(args.mib) * 1024 * 1024);
const MiB = 1024 * 1024;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rate = (bytes: number, ms: number) => Math.round((bytes / MiB / (ms / 1000)) * 10) / 10;

async function main(): Promise<void> {
  const relay = await createRelay(
    defaultConfig({
      port: 0,
      redisUrl: args.redis ?? null,
      limits: {
        rateBucketCapacity: 100_000,
        rateBucketRefillPerS: 100_000,
        globalBucketCapacity: 100_000,
        globalBucketRefillPerS: 100_000,
        blobGlobalMaxBytes: 1024 * MiB,
        blobIpMaxBytes: 1024 * MiB,
        blobRoomMaxBytes: 1024 * MiB,
      },
    }),
  );
  await relay.listen();
  const bytes = new Uint8Array(randomBytes(size));
  const up: number[] = [];
  const down: number[] = [];
  const put: number[] = [];
  const get: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const url = mintRoom(relay.url).url;
      const alice = new Room(url, { name: 'alice', onWarning: () => undefined });
      const bob = new Room(url, { name: 'bob', onWarning: () => undefined });
      let t = performance.now();
      const sent = await alice.sendFile(bytes, { name: 'bench.bin' });
      up.push(performance.now() - t);
      t = performance.now();
      const got = await bob.download(sent.attachment);
      down.push(performance.now() - t);
      if (got.length !== size) throw new Error('size mismatch');

      // The relay alone: chunks sealed beforehand, sent and read back sequentially.
      const sealed = sealFile(newFileSecret(), bytes);
      const total = sealed.chunks.reduce((n, c) => n + c.length, 0);
      const base = `${alice.apiBase}/blobs`;
      const c = (await (
        await fetch(base, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ size: total, chunks: chunkCount(size) }),
        })
      ).json()) as { blob_id: string; token: string };
      t = performance.now();
      for (const [k, chunk] of sealed.chunks.entries()) {
        const res = await fetch(`${base}/${c.blob_id}/chunks/${k}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/octet-stream', 'x-blob-token': c.token },
          body: chunk as unknown as BodyInit,
        });
        if (!res.ok) throw new Error(`PUT ${res.status}`);
        await res.arrayBuffer();
      }
      put.push(performance.now() - t);
      t = performance.now();
      for (let k = 0; k < sealed.chunks.length; k++)
        await (await fetch(`${base}/${c.blob_id}/chunks/${k}`)).arrayBuffer();
      get.push(performance.now() - t);
    }
  } finally {
    await relay.close();
  }
  const result = {
    file_mib: size / MiB,
    chunk_kib: FILE_CHUNK_BYTES / 1024,
    runs,
    backend: args.redis ? 'redis' : 'memory',
    sdk_send_mib_s: rate(size, median(up)),
    sdk_download_mib_s: rate(size, median(down)),
    relay_put_mib_s: rate(size, median(put)),
    relay_get_mib_s: rate(size, median(get)),
    median_ms: {
      send: Math.round(median(up)),
      download: Math.round(median(down)),
      put: Math.round(median(put)),
      get: Math.round(median(get)),
    },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

void main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
