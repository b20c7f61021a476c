/**
 * The router, not each handler, enforces `auth: 'signed'`: every route the table declares signed
 * refuses a request without a valid owner signature, before its handler runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERR } from '../../protocol/index.js';
import { startRelay, type TestRelay } from '../../test-support/relay.js';
import { call, fixedIdentity, register, signed } from './identity-helpers.js';

let relay: TestRelay;
const owner = fixedIdentity('routerowner');
/** Other keys than the owner's (the default seed is the handle's first letter). */
const stranger = fixedIdentity('routerstranger', 7);

beforeAll(async () => {
  relay = await startRelay();
  expect((await register(relay.url, owner)).status).toBe(201);
  expect((await register(relay.url, stranger)).status).toBe(201);
});
afterAll(() => relay.close());

/** The route's path with its parameters filled: the owner's handle, a valid room id. */
function concrete(path: string): string {
  return path
    .replace(':handle', owner.handle)
    .replace(':roomId', 'routerAuthRoom01')
    .replace(':id', 'someid');
}

describe('signed routes', () => {
  const signedRoutes = () => relay.relay.router.list().filter((r) => r.auth === 'signed');

  it('the table declares the owner routes signed', () => {
    const names = signedRoutes().map((r) => `${r.method} ${r.path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'POST /api/rooms/:roomId/claim',
        'POST /api/rooms/:roomId/ack',
        'GET /api/dm/:handle/inbox/wait',
        'DELETE /api/agents/:handle/profile',
      ]),
    );
  });

  it('every one refuses a request without a signature, and one signed by someone else', async () => {
    for (const r of signedRoutes()) {
      const path = concrete(r.path);
      // A body that passes each route's schema, so what answers is the signature check.
      const subscription = {
        endpoint: 'https://push.example/x',
        keys: { p256dh: 'B'.repeat(87), auth: 'A'.repeat(22) },
      };
      const body = r.body ? { handle: owner.handle, claim_id: 'x', seq: 1, subscription } : undefined;
      const bare = await call(r.method, `${relay.url}${path}`, body);
      expect({ route: r.path, status: bare.status, error: bare.json?.error }).toEqual({
        route: r.path,
        status: 401,
        error: ERR.badSignature,
      });
      const forged = await signed(relay.url, stranger, r.method, path, Date.now(), body);
      expect({ route: r.path, status: forged.status, error: forged.json?.error }).toEqual({
        route: r.path,
        status: 401,
        error: ERR.badSignature,
      });
    }
  });
});
