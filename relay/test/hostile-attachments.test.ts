/**
 * Hostile clients against the attachment routes: a few addresses try to take the room cap, the
 * attachment quotas and the fuse from everyone else through blob reservations. Bystanders must
 * keep being served. Addresses are simulated with X-Forwarded-For from loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BLOB_ERR, ERR } from '../../protocol/index.js';
import { fakeSealed, getJson, postJson } from '../../test-support/clients.js';
import { TestClock, startRelay, type RelayOverrides, type TestRelay } from '../../test-support/relay.js';

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
