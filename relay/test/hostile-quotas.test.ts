/**
 * Hostile clients against shares and caps added with attachments, push and idempotent posts: a
 * few addresses try to take the room cap, the attachment quotas and fuse, the message-list slots
 * or the identity cap from everyone else, or to use another's post nonce. Bystanders must keep
 * being served. Addresses are simulated with X-Forwarded-For from loopback.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BLOB_ERR, ERR, registerBody } from '../../protocol/index.js';
import { fakeSealed, getJson, postJson } from '../../test-support/clients.js';
import { TestClock, startRelay, type RelayOverrides, type TestRelay } from '../../test-support/relay.js';
import { fixedIdentity } from './identity-helpers.js';

let r: TestRelay | null = null;
afterEach(async () => {
  await r?.close();
  r = null;
});

const MiB = 1024 * 1024;
const from = (ip: string): Record<string, string> => ({ 'x-forwarded-for': ip });
const attacker = (i: number) => `198.51.100.${i + 1}`;
const bystander = (i: number) => `203.0.113.${i + 1}`;

async function start(overrides: RelayOverrides, clock?: TestClock): Promise<TestRelay> {
  r = await startRelay({ redisUrl: null, trustProxy: 'loopback', ...overrides }, clock);
  return r;
}
const reserve = (room: string, ip: string, size = 16, chunks = 1) =>
  postJson(`${r!.url}/api/rooms/${room}/blobs`, { size, chunks }, from(ip));

describe('blob reservations and the room cap', () => {
  it('creating rooms through blob reservations meets the per-address room quota and evicts no bystander room', async () => {
    await start({ limits: { roomsMax: 40, roomsPerIp: 4 } });
    const post = await postJson(`${r!.url}/api/rooms/bystander01/messages`, fakeSealed(), from(bystander(0)));
    expect(post.status).toBe(200);

    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await reserve(`atkroom${i}`, attacker(0))).status);
    const refused = await reserve('atkroomlast', attacker(0));
    expect([refused.status, refused.json.error]).toEqual([429, ERR.roomQuota]);
    // Below half the cap there is no quota; past it, four more rooms at most.
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(20 + 4);

    // The bystander's idle room and its message are still there.
    const t = await getJson(`${r!.url}/api/rooms/bystander01/transcript`, from(bystander(0)));
    expect(t.json.messages).toHaveLength(1);
  });
});

describe('blob reservations against the attachment fuse', () => {
  it('a few addresses reserving the whole fuse without uploading do not lock bystanders out: the largest holder yields', async () => {
    await startAnywhere({
      limits: {
        blobMaxBytes: 2 * MiB,
        blobRoomMaxBytes: 4 * MiB,
        blobIpMaxBytes: 4 * MiB,
        blobGlobalMaxBytes: 8 * MiB,
      },
    });
    // A bystander's finished upload from before the attack.
    const kept = await reserve('byroom01', bystander(1), 64, 1);
    expect(kept.status).toBe(200);
    const put = await fetch(`${r!.url}/api/rooms/byroom01/blobs/${kept.json.blob_id}/chunks/0`, {
      method: 'PUT',
      headers: {
        'content-type': 'application/octet-stream',
        'x-blob-token': kept.json.token,
        ...from(bystander(1)),
      },
      body: new Uint8Array(64),
    });
    expect(put.status).toBe(200);

    // Reservations cost the attackers nothing: no chunk is ever uploaded.
    for (let a = 0; a < 3; a++)
      for (let i = 0; i < 4; i++) await reserve(`atk${a}room`, attacker(a), 1 * MiB, 4);

    const late = await reserve('byroom02', bystander(0), 1 * MiB, 4);
    expect([late.status, late.json.error]).toEqual([200, undefined]);
    // The bystander's earlier file is untouched.
    const got = await fetch(`${r!.url}/api/rooms/byroom01/blobs/${kept.json.blob_id}/chunks/0`, {
      headers: from(bystander(1)),
    });
    expect(got.status).toBe(200);
    expect(await r!.relay.blobs.totalBytes()).toBeLessThanOrEqual(8 * MiB);
  });

  it('many tiny blobs are charged for what each costs to hold, not only their bytes', async () => {
    await startAnywhere({
      limits: { blobIpMaxBytes: 256 * 1024, rateBucketCapacity: 10_000, globalBucketCapacity: 10_000 },
    });
    let accepted = 0;
    let refusal: { status: number; json: { error?: string } } | null = null;
    for (let i = 0; i < 1200 && !refusal; i++) {
      const res = await reserve(`tiny${Math.floor(i / 20)}`, attacker(0));
      if (res.status === 200) accepted++;
      else refusal = res;
    }
    expect([refusal?.status, refusal?.json.error]).toEqual([429, BLOB_ERR.ipQuota]);
    // At 16 bytes each the quota would admit 16384; each blob holds a few hundred bytes of bookkeeping.
    expect(accepted).toBeLessThanOrEqual((256 * 1024) / 1024);
  });
});

describe('a repeated nonce is a retry only when it carries the same sealed body', () => {
  it('another body under a used nonce is stored as its own message, as the reference stores it', async () => {
    // On every backend: a cluster runs this too.
    r = await startRelay();
    const url = `${r.url}/api/rooms/noncecopy1/messages`;
    const first = await postJson(url, { sender: 'alice', ...fakeSealed() });
    expect(first.status).toBe(200);
    // A client that reuses its nonce (or someone who read it in the transcript) with other content.
    const reuse = await postJson(url, {
      sender: 'mallory',
      ...fakeSealed(),
      nonce: await lastNonce('noncecopy1'),
    });
    expect(reuse.status).toBe(200);
    expect(reuse.json.id).not.toBe(first.json.id);
    expect(reuse.json.seq).toBeGreaterThan(first.json.seq);
    const t = await getJson(`${r.url}/api/rooms/noncecopy1/transcript`);
    expect(t.json.messages.map((m: { sender: string }) => m.sender)).toEqual(['alice', 'mallory']);
  });

  it('a copy of a post (same nonce and body) under another label is answered as the original and not stored', async () => {
    r = await startRelay();
    const url = `${r.url}/api/rooms/noncecopy2/messages`;
    const sealed = fakeSealed();
    const first = await postJson(url, { sender: 'alice', ...sealed });
    const copy = await postJson(url, { sender: 'mallory', ...sealed });
    expect(copy.json).toEqual(first.json);
    const t = await getJson(`${r.url}/api/rooms/noncecopy2/transcript`);
    expect(t.json.messages.map((m: { sender: string }) => m.sender)).toEqual(['alice']);
  });
});

async function lastNonce(room: string): Promise<string | undefined> {
  const t = await getJson(`${r!.url}/api/rooms/${room}/transcript`);
  return (t.json.messages as Array<{ nonce: string }>).at(-1)?.nonce;
}

describe('stalled message lists from many addresses', () => {
  it('past the global cap the longest-stalled list goes, and a reader who reads is served', async () => {
    await start({ limits: { largeAnswersMax: 6, largeAnswersPerIp: 4 } });
    // About 19 MB in the room: far more than loopback socket buffers take from a reader who reads nothing.
    for (let i = 0; i < 150; i++) {
      const res = await postJson(
        `${r!.url}/api/rooms/stallroom1/messages`,
        fakeSealed(96_000),
        from(attacker(i % 4)),
      );
      expect(res.status).toBe(200);
    }
    const sockets: Socket[] = [];
    const peak: number[] = [];
    for (let a = 0; a < 3; a++)
      for (let j = 0; j < 4; j++) {
        const s = connect({ host: '127.0.0.1', port: r!.port });
        s.on('error', () => undefined);
        s.pause();
        s.write(
          `GET /api/rooms/stallroom1/transcript?limit=500 HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: ${attacker(10 + a)}\r\n\r\n`,
        );
        sockets.push(s);
        await new Promise((res) => setTimeout(res, 100));
        peak.push(r!.relay.answers.size);
      }
    expect(Math.max(...peak)).toBeLessThanOrEqual(6);
    // Once they have read nothing for a while, a reader who reads takes a stalled one's place.
    await new Promise((res) => setTimeout(res, 1500));
    const t = await getJson(`${r!.url}/api/rooms/stallroom1/transcript?limit=500`, from(bystander(0)));
    expect(t.status).toBe(200);
    expect(t.json.messages).toHaveLength(150);
    expect(r!.relay.answers.size).toBeLessThanOrEqual(6);
    for (const s of sockets) s.destroy();
  }, 60_000);
});

describe('identity registrations from one IPv6 site', () => {
  it("the /64s of one /48 share a few addresses' quotas; another site still registers", async () => {
    await start({ limits: { identitiesPerIpPerDay: 2 } });
    const registerFrom = (handle: string, ip: string) =>
      postJson(`${r!.url}/api/identity/register`, registerBody(fixedIdentity(handle), Date.now()), from(ip));
    const statuses: number[] = [];
    for (let net = 0; net < 8; net++)
      for (let i = 0; i < 2; i++)
        statuses.push((await registerFrom(`site${net}x${i}`, `2001:db8:7:${net}::${i + 1}`)).status);
    // Four address quotas for the whole /48: eight handles, then 429 whichever /64 asks.
    expect(statuses.filter((s) => s === 201)).toHaveLength(8);
    expect(statuses.slice(8).every((s) => s === 429)).toBe(true);
    expect((await registerFrom('othersite', '2001:db8:8:1::1')).status).toBe(201);
  });
});

/** On every backend: the cluster suite runs these against the Redis store. */
async function startAnywhere(overrides: RelayOverrides): Promise<TestRelay> {
  r = await startRelay({ trustProxy: 'loopback', ...overrides });
  return r;
}

async function upload(room: string, ip: string, size: number, extra: Record<string, unknown> = {}) {
  const c = await postJson(`${r!.url}/api/rooms/${room}/blobs`, { size, chunks: 1, ...extra }, from(ip));
  expect(c.status).toBe(200);
  const url = `${r!.url}/api/rooms/${room}/blobs/${c.json.blob_id}`;
  const put = await fetch(`${url}/chunks/0`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'x-blob-token': c.json.token, ...from(ip) },
    body: new Uint8Array(size),
  });
  expect(put.status).toBe(200);
  return { url, token: c.json.token as string };
}
const chunkStatus = async (url: string) =>
  (await fetch(`${url}/chunks/0`, { headers: from(bystander(5)) })).status;

describe('attachment quotas are shared fairly, and only the uploader frees a file', () => {
  it('only the uploader, with its delete secret, frees a file reserved with a delete hash', async () => {
    await startAnywhere({});
    const secret = randomBytes(32).toString('base64url');
    const hash = createHash('sha256').update(secret).digest('base64url');
    const up = await upload('sharedrm1', bystander(0), 64, { delete_hash: hash });
    // Every participant decrypts the file envelope, which carries the token: it reads, never deletes.
    const del = (secretOrToken: string, ip: string, url = up.url) =>
      fetch(url, { method: 'DELETE', headers: { 'x-blob-token': secretOrToken, ...from(ip) } });
    const byToken = await del(up.token, attacker(0));
    expect([byToken.status, ((await byToken.json()) as { error: string }).error]).toEqual([
      403,
      BLOB_ERR.badToken,
    ]);
    expect(await chunkStatus(up.url)).toBe(200);
    expect((await del(up.token, bystander(0))).status).toBe(403);
    expect((await del(secret, bystander(0))).status).toBe(200);
    expect(await chunkStatus(up.url)).toBe(404);
    // A blob reserved without a delete hash keeps the envelope token's rule.
    const old = await upload('sharedrm1', bystander(0), 64);
    expect((await del(old.token, attacker(0), old.url)).status).toBe(200);
  });

  it('a malformed delete hash is refused', async () => {
    await startAnywhere({});
    const res = await postJson(`${r!.url}/api/rooms/sharedrm2/blobs`, {
      size: 64,
      chunks: 1,
      delete_hash: 'short',
    });
    expect([res.status, res.json.error]).toEqual([400, BLOB_ERR.badBlob]);
  });

  it('one address reserving a room’s whole attachment quota does not lock the room’s other senders out', async () => {
    await startAnywhere({ limits: { blobMaxBytes: 1 * MiB, blobRoomMaxBytes: 4 * MiB } });
    const held: string[] = [];
    for (let i = 0; i < 4; i++) {
      const c = await reserve('blockedrm', attacker(0), 1 * MiB, 4);
      expect(c.status).toBe(200);
      held.push(c.json.blob_id);
    }
    const first = await upload('blockedrm', bystander(0), 64 * 1024);
    // The largest holder yielded its oldest reservation, and only that one.
    const alive = async (id: string) =>
      (await fetch(`${r!.url}/api/rooms/blockedrm/blobs/${id}`, { headers: from(bystander(5)) })).status;
    expect(await Promise.all(held.map(alive))).toEqual([404, 200, 200, 200]);
    // The holder cannot take it back: it never makes the requester's own blobs yield.
    const again = await reserve('blockedrm', attacker(0), 1 * MiB, 4);
    expect([again.status, again.json.error]).toEqual([429, BLOB_ERR.roomQuota]);
    expect(await chunkStatus(first.url)).toBe(200);
    // A second bystander gets in the same way; the first one's file stays.
    expect((await reserve('blockedrm', bystander(1), 64 * 1024)).status).toBe(200);
    expect(await chunkStatus(first.url)).toBe(200);
  });

  it('one address filling a room’s blob count does not lock the room’s other senders out', async () => {
    await startAnywhere({ limits: { blobsPerRoomMax: 8, rateBucketCapacity: 1000 } });
    for (let i = 0; i < 8; i++) expect((await reserve('countrm', attacker(0))).status).toBe(200);
    expect((await reserve('countrm', bystander(0))).status).toBe(200);
    expect((await reserve('countrm', bystander(1))).status).toBe(200);
    const again = await reserve('countrm', attacker(0));
    expect([again.status, again.json.error]).toEqual([429, BLOB_ERR.roomCount]);
  });
});
