/**
 * Control envelopes are judged by who may send them: a forged delete cannot remove a verified
 * member's message, an unsigned `@victim` label is neither "you" nor verified, and a verified
 * peer cannot flood a browser with history it never asked for, nor make it answer every
 * throwaway handle's history request.
 */
import type { Page } from '@playwright/test';
import { test, expect, createRoom, openRoom, send, bubble, waitOnline } from './fixtures.js';
import { contextWith, registered, trackErrors, uniq } from './identity.helpers.js';
import { openText, sealText } from '../protocol/crypto.js';
import {
  classifyPlaintext,
  deleteEnvelope,
  historyRequest,
  historyResponse,
  type HistoryItem,
} from '../protocol/envelopes.js';
import { signRoomPost, type Identity } from '../protocol/identity.js';
import { parseRoomLink } from '../protocol/roomUrl.js';
import { WsClient } from '../test-support/clients.js';
import { DB_NAME } from '../web/src/storage/db.js';

function linkOf(url: string): { roomId: string; key: Uint8Array } {
  const p = parseRoomLink(url);
  if (!p.ok) throw new Error(p.message);
  return { roomId: p.link.roomId, key: p.link.key };
}

/** Post as an agent would: unsigned under any label, or signed by a registered identity. */
async function agentPost(
  base: string,
  url: string,
  plaintext: string,
  as: { label: string } | { id: Identity },
): Promise<{ id: string }> {
  const { roomId, key } = linkOf(url);
  const sealed = sealText(plaintext, key);
  const body =
    'id' in as
      ? { sender: `@${as.id.handle}`, ...sealed, ...signRoomPost(as.id, roomId, sealed.ciphertext) }
      : { sender: as.label, ...sealed };
  const res = await fetch(`${base}/api/rooms/${roomId}/messages`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { id: string };
}

test("a forged delete leaves a verified member's message in place; their own signed delete removes it, saying who", async ({
  browser,
  relay,
  newPage,
  pageErrors,
}) => {
  const alice = await registered(relay.url, `alice-${uniq()}`);
  const mallory = await registered(relay.url, `mallory-${uniq()}`);
  const ctx = await contextWith(browser, alice);
  try {
    const a = trackErrors(await ctx.newPage(), pageErrors);
    const url = await createRoom(a, relay);
    await send(a, 'signed words that stay');
    const targetId = (await bubble(a, 'signed words that stay').getAttribute('data-msg-id'))!;
    const anon = await agentPost(relay.url, url, 'anonymous words', { label: 'bob' });
    const viewer = await newPage();
    await openRoom(viewer, url);
    await expect(bubble(viewer, 'anonymous words')).toBeVisible();

    // An anonymous link holder, a different verified handle, and an unsigned "@alice" label.
    await agentPost(relay.url, url, deleteEnvelope(targetId), { label: 'mallory' });
    await agentPost(relay.url, url, deleteEnvelope(targetId), { id: mallory });
    await agentPost(relay.url, url, deleteEnvelope(targetId), { label: `@${alice.handle}` });
    // Shared-key deletes still work for anonymous messages, and the room says who did it.
    await agentPost(relay.url, url, deleteEnvelope(anon.id), { label: 'mallory' });
    await expect(bubble(viewer, 'anonymous words')).toHaveCount(0);
    await expect(
      viewer.locator('.toast').filter({ hasText: 'mallory (unverified) deleted a message from bob' }),
    ).toBeVisible();
    for (const p of [a, viewer]) await expect(bubble(p, 'signed words that stay')).toBeVisible();

    // A newcomer replays the whole buffer, forged deletes included, and still sees it.
    const late = await newPage();
    await openRoom(late, url);
    await expect(bubble(late, 'signed words that stay')).toBeVisible();
    await expect(bubble(late, 'anonymous words')).toHaveCount(0);

    // Alice's own delete is signed by her handle, so everyone honours it.
    const own = bubble(a, 'signed words that stay');
    await own.hover();
    await own.getByRole('button', { name: 'Delete for everyone' }).click();
    await a.getByRole('dialog').getByRole('button', { name: 'Delete for everyone' }).click();
    for (const p of [a, viewer, late]) await expect(bubble(p, 'signed words that stay')).toHaveCount(0);
    await expect(
      viewer.locator('.toast').filter({ hasText: `@${alice.handle} deleted their message` }),
    ).toBeVisible();
  } finally {
    await ctx.close();
  }
});

test('an unsigned "@victim" label, or one equal to my own name, is never shown as mine or as verified', async ({
  browser,
  relay,
  newPage,
  pageErrors,
}) => {
  const victim = await registered(relay.url, `victim-${uniq()}`);
  const ctx = await contextWith(browser, victim);
  try {
    const v = trackErrors(await ctx.newPage(), pageErrors);
    const url = await createRoom(v, relay);
    await send(v, 'really from the victim');
    await agentPost(relay.url, url, 'forged under the handle', { label: `@${victim.handle}` });
    // Another sender in between, so that the next bubble shows its own header.
    await agentPost(relay.url, url, 'an interruption', { label: 'carol' });
    await agentPost(relay.url, url, 'forged with a hidden character', {
      label: `\u200B@${victim.handle}\u202E`,
    });
    const real = bubble(v, 'really from the victim');
    await expect(real).toHaveClass(/bubble-self/);
    await expect(real.locator('.verified')).toBeVisible();
    for (const text of ['forged under the handle', 'forged with a hidden character']) {
      const b = bubble(v, text);
      await expect(b).toHaveClass(/bubble-other/);
      await expect(b.locator('.verified')).toHaveCount(0);
      await expect(b.locator('.you')).toHaveCount(0);
      await expect(b.locator('.unsigned-handle')).toHaveText('unsigned');
      await expect(b).toHaveAttribute('aria-label', new RegExp(`^@${victim.handle} at `));
    }

    // An anonymous visitor: a post under their own display name is not theirs either.
    const anon = await newPage();
    await openRoom(anon, url);
    const myName = await anon.locator('#name-input').inputValue();
    await agentPost(relay.url, url, 'posted under your name', { label: myName });
    await expect(bubble(anon, 'posted under your name')).toHaveClass(/bubble-other/);
    await expect(bubble(anon, 'posted under your name').locator('.you')).toHaveCount(0);
  } finally {
    await ctx.close();
  }
});

async function restoredCount(page: Page, roomId: string): Promise<number> {
  return page.evaluate(
    async ({ dbName, roomId }) => {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open(dbName);
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const all = await new Promise<Array<{ restored?: boolean }>>((res, rej) => {
        const q = db.transaction('frames').objectStore('frames').index('by_room').getAll(roomId);
        q.onsuccess = () => res(q.result as Array<{ restored?: boolean }>);
        q.onerror = () => rej(q.error);
      });
      db.close();
      return all.filter((f) => f.restored).length;
    },
    { dbName: DB_NAME, roomId },
  );
}

test('a verified peer cannot flood a browser with history, nor make it answer every throwaway handle', async ({
  browser,
  relay,
  pageErrors,
}) => {
  test.setTimeout(120_000);
  const bob = await registered(relay.url, `bob-${uniq()}`);
  const attacker = await registered(relay.url, `flood-${uniq()}`);
  const ctx = await contextWith(browser, bob);
  const ws: WsClient[] = [];
  try {
    const b = trackErrors(await ctx.newPage(), pageErrors);
    const url = await createRoom(b, relay);
    const { roomId, key } = linkOf(url);
    // The attacker is present, so Bob's next open asks the room for the history the relay lacks.
    const spy = new WsClient(`${relay.url.replace(/^http/, 'ws')}/api/rooms/${roomId}/ws`);
    ws.push(spy);
    await spy.opened;
    spy.send({ type: 'hello', name: `@${attacker.handle}` });
    await spy.next((f) => f.type === 'ready');
    await b.reload();
    await waitOnline(b);
    await b.evaluate(() => {
      const w = window as unknown as { longTasks: number[] };
      w.longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.longTasks.push(e.duration);
      }).observe({ type: 'longtask' });
    });
    const plain = (f: Record<string, unknown>) =>
      openText({ ciphertext: String(f.ciphertext), nonce: String(f.nonce) }, key) ?? '';
    const req = await spy.next(
      (f) => f.type === 'message' && classifyPlaintext(plain(f)).kind === 'hist_req',
      15_000,
    );
    const parsed = classifyPlaintext(plain(req));
    if (parsed.kind !== 'hist_req') throw new Error('not a request');

    // 4,200 fabricated items and 3,000 tombstones in 21 signed chunks, all "for" Bob's request.
    const now = Date.now();
    for (let c = 0; c < 21; c++) {
      const items: HistoryItem[] = Array.from({ length: 200 }, (_, i) => ({
        seq: c * 200 + i + 1,
        id: `fake-${c}-${i}`,
        sender: 'someone',
        sender_verified: true,
        ts: now - 60_000,
        text: `fabricated ${c}-${i}`,
      }));
      const deleted = c === 0 ? Array.from({ length: 3000 }, (_, i) => `gone-${i}`) : undefined;
      await agentPost(
        relay.url,
        url,
        historyResponse({ req_id: parsed.envelope.req_id, chunk: c, items, ...(deleted ? { deleted } : {}) }),
        { id: attacker },
      );
    }
    await expect(b.locator('article.bubble.is-restored').first()).toBeVisible({ timeout: 15_000 });
    await expect.poll(() => restoredCount(b, roomId), { timeout: 10_000 }).toBe(100);
    await b.waitForTimeout(1000);
    expect(await restoredCount(b, roomId)).toBe(100);
    expect(await b.locator('article.bubble.is-restored').count()).toBeLessThanOrEqual(100);
    const longTasks = await b.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
    test.info().annotations.push({
      type: 'history flood',
      description: `${longTasks.length} long tasks, longest ${Math.round(Math.max(0, ...longTasks))} ms`,
    });
    // Applying 4,002 items one by one took seconds; bounded and batched, the worst task is the
    // render of 100 restored bubbles (325–644 ms measured on a two-core machine at load 20).
    expect(Math.max(0, ...longTasks)).toBeLessThanOrEqual(1000);

    // Thirty fresh handles each ask for history: Bob answers a few, not thirty.
    const throwaways = await Promise.all(
      Array.from({ length: 30 }, (_, i) => registered(relay.url, `tmp${i}-${uniq()}`)),
    );
    for (const t of throwaways)
      await agentPost(relay.url, url, historyRequest(crypto.randomUUID(), 0), { id: t });
    await b.waitForTimeout(5000);
    const answered = new Set(
      spy
        .messages()
        .filter((f) => f.sender === `@${bob.handle}`)
        .map((f) => classifyPlaintext(plain(f)))
        .flatMap((p) => (p.kind === 'hist_resp' ? [p.envelope.req_id] : [])),
    );
    test
      .info()
      .annotations.push({ type: 'history answers', description: `${answered.size} of 30 requests answered` });
    expect(answered.size).toBeGreaterThan(0);
    expect(answered.size).toBeLessThanOrEqual(3);
  } finally {
    for (const c of ws) await c.close();
    await ctx.close();
  }
});
