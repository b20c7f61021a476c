/**
 * Promote / adopt (reference-client.md §3.9): an operator browser promotes an anonymous agent run
 * by the project's SDK and a browser visitor; the targets switch identity without reconnecting
 * and their posts show as verified; a third participant sees the offer but cannot open it.
 */
import WebSocket from 'ws';
import { test, expect, openRoom, send, bubble, createRoom } from './fixtures.js';
import { contextWith, expectVerified, registered, trackErrors, uniq } from './identity.helpers.js';
import { Room, type AdoptionEvent } from '../agent/sdk/index.js';
import { openText, newBoxKeyPair } from '../protocol/crypto.js';
import { classifyPlaintext, type AdoptEnvelope } from '../protocol/envelopes.js';
import { openAdoptOffer } from '../protocol/adopt.js';
import { encodeBase64Url } from '../protocol/base64.js';
import { parseRoomLink } from '../protocol/roomUrl.js';

/** A bare WebSocket participant with its own presence key that records every plaintext. */
function eavesdropper(relayUrl: string, roomUrl: string) {
  const link = parseRoomLink(roomUrl);
  if (!link.ok) throw new Error('bad room url');
  const keys = newBoxKeyPair();
  const plaintexts: string[] = [];
  const ws = new WebSocket(`${relayUrl.replace(/^http/, 'ws')}/api/rooms/${link.link.roomId}/ws`);
  ws.on('open', () =>
    ws.send(JSON.stringify({ type: 'hello', name: 'eve', box_pub: encodeBase64Url(keys.publicKey) })),
  );
  ws.on('message', (data) => {
    const f = JSON.parse(String(data)) as { type: string; ciphertext?: string; nonce?: string };
    if (f.type !== 'message' || !f.ciphertext || !f.nonce) return;
    const text = openText({ ciphertext: f.ciphertext, nonce: f.nonce }, link.link.key);
    if (text !== null) plaintexts.push(text);
  });
  const offers = () =>
    plaintexts
      .map(classifyPlaintext)
      .flatMap((p) => (p.kind === 'adopt' ? [p.envelope as AdoptEnvelope] : []));
  return { keys, plaintexts, offers, close: () => ws.close() };
}

test('an operator promotes an SDK agent; another browser sees it verified; a third party cannot open the offer', async ({
  browser,
  relay,
  newPage,
  pageErrors,
}) => {
  const op = await registered(relay.url, `op-${uniq()}`);
  const ctx = await contextWith(browser, op);
  const ac = new AbortController();
  let eve: ReturnType<typeof eavesdropper> | null = null;
  try {
    const a = trackErrors(await ctx.newPage(), pageErrors);
    const url = await createRoom(a, relay);
    eve = eavesdropper(relay.url, url);

    let adopted!: (e: AdoptionEvent) => void;
    const adoption = new Promise<AdoptionEvent>((r) => (adopted = r));
    const agent = new Room(url, {
      name: 'helper-bot',
      acceptAdoptions: true,
      onAdopt: (e) => adopted(e),
      saveIdentity: () => undefined,
      onWarning: () => undefined,
    });
    void (async () => {
      for await (const _m of agent.stream({ signal: ac.signal })) void _m;
    })().catch(() => undefined);

    // An anonymous visitor sees Promote too, but is told that only signed operators can use it.
    const v = await newPage();
    await openRoom(v, url);
    await v.getByRole('button', { name: 'Promote helper-bot to a signed handle' }).click();
    const explain = v.getByRole('dialog', { name: 'Promote to a signed @handle' });
    await expect(explain.getByText('Only signed-in operators can promote')).toBeVisible();
    await explain.getByRole('button', { name: 'Cancel' }).click();
    // Nobody gets a Promote button for a signed @handle.
    await expect(v.getByRole('button', { name: `Promote @${op.handle} to a signed handle` })).toHaveCount(0);

    await a.getByRole('button', { name: 'Promote helper-bot to a signed handle' }).click();
    const dlg = a.getByRole('dialog', { name: 'Promote to a signed @handle' });
    await expect(dlg.getByLabel('Handle for helper-bot')).toHaveValue('bot-helper-bot');
    const handle = `bot-${uniq()}`;
    await dlg.getByLabel('Handle for helper-bot').fill(`@${handle}`);
    await dlg.getByRole('button', { name: 'Send offer' }).click();
    await expect(a.getByText('Adopt offer sent to helper-bot')).toBeVisible();
    await expect(dlg).toBeHidden();

    const ev = await adoption;
    expect(ev.handle).toBe(handle);
    expect(ev.offeredBy).toBe(`@${op.handle}`);
    await agent.send('hello from the promoted agent');
    await expectVerified(bubble(v, 'hello from the promoted agent'), handle);
    await expectVerified(bubble(a, 'hello from the promoted agent'), handle);
    // The operator is told the offer was accepted, and the rail lists the agent once, as its handle.
    await expect(a.getByText(`helper-bot accepted: it is now @${handle}`)).toBeVisible();
    await expect(a.locator('.people .name-text').filter({ hasText: `@${handle}` })).toHaveCount(1);
    await expect(a.locator('.people .name-text').filter({ hasText: /^helper-bot$/ })).toHaveCount(0);
    await expect(a.getByRole('button', { name: 'Promote helper-bot to a signed handle' })).toHaveCount(0);
    await expect(v.getByRole('button', { name: 'Promote helper-bot to a signed handle' })).toHaveCount(0);

    // Eve received the same envelope, aimed at helper-bot, and cannot open it with her key.
    await expect.poll(() => eve!.offers().length).toBe(1);
    const offer = eve.offers()[0]!;
    expect(offer.target_name).toBe('helper-bot');
    expect(openAdoptOffer(offer, eve.keys.secretKey)).toBeNull();
    expect(eve.plaintexts.join('\n')).not.toMatch(/sign_seed_b64u|box_sk_b64u/);
    // The same envelope does open with the target's key: Eve saw the real thing.
    expect(openAdoptOffer(offer, agent.boxKeyPair.secretKey)?.handle).toBe(handle);
    // The offer is never rendered as chat.
    await expect(v.locator('article.bubble').filter({ hasText: 'bot2bot_adopt_v1' })).toHaveCount(0);
  } finally {
    ac.abort();
    eve?.close();
    await ctx.close();
  }
});

test('a browser target gets a consent dialog, switches to the handle without reconnecting, and posts verified', async ({
  browser,
  relay,
  newPage,
  pageErrors,
}) => {
  const op = await registered(relay.url, `op-${uniq()}`);
  const ctx = await contextWith(browser, op);
  try {
    const a = trackErrors(await ctx.newPage(), pageErrors);
    const url = await createRoom(a, relay);

    const t = await newPage();
    let sockets = 0;
    t.on('websocket', () => sockets++);
    await openRoom(t, url);
    const name = await t.locator('.composer input.name-chip').inputValue();
    expect(name).toMatch(/^visitor-/);

    // First offer: declined, and nothing changes.
    const handle1 = `bot-${uniq()}`;
    await a.getByRole('button', { name: `Promote ${name} to a signed handle` }).click();
    await a.getByLabel(`Handle for ${name}`).fill(handle1);
    await a.getByRole('button', { name: 'Send offer' }).click();
    const consent = t.getByRole('dialog', { name: 'A signed identity is offered to you' });
    await expect(consent).toBeVisible();
    await expect(consent).toContainText(`@${op.handle} offers you the signed identity @${handle1}`);
    await consent.getByRole('button', { name: 'Decline' }).click();
    await expect(consent).toBeHidden();
    await expect(t.getByRole('button', { name: 'Sign in with a @handle' })).toBeVisible();

    // Second offer: accepted.
    const handle = `bot-${uniq()}`;
    await a.getByRole('button', { name: `Promote ${name} to a signed handle` }).click();
    await a.getByLabel(`Handle for ${name}`).fill(handle);
    await a.getByRole('button', { name: 'Send offer' }).click();
    await expect(consent).toContainText(`@${op.handle} offers you the signed identity @${handle}`);
    const text = (await consent.textContent()) ?? '';
    expect(text).not.toMatch(/sign_seed|box_sk|[A-Za-z0-9_-]{43}/);
    await consent.getByLabel('Remember on this device without a passphrase').check();
    await consent.getByRole('button', { name: `Accept @${handle}` }).click();
    await expect(consent).toBeHidden();
    await expect(t.getByRole('button', { name: `Your identity: @${handle}` })).toBeVisible();
    await expect(t.locator('.composer .name-chip.is-signed')).toHaveText(`@${handle}`);
    // The rename reached the relay over the open socket: the operator's rail shows the handle.
    await expect(a.locator('.rail .name-text', { hasText: `@${handle}` })).toBeVisible();

    await send(t, 'hello, I was adopted');
    await expectVerified(bubble(a, 'hello, I was adopted'), handle);
    expect(sockets).toBe(1);
    // Saved in the reference record format, so a reload keeps the handle.
    expect(await t.evaluate(() => JSON.parse(localStorage.getItem('bot2bot-identity') ?? '{}').handle)).toBe(
      handle,
    );
  } finally {
    await ctx.close();
  }
});
