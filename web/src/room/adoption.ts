/**
 * Promote and adopt (reference-client.md §3.9): a signed operator mints an identity for an
 * anonymous participant and seals it to their presence key; the target sees a consent dialog.
 * The opened keys stay in this object until accepted; they never reach the store.
 */
import { decodeBase64Loose } from '@protocol/base64.js';
import { buildAdoptOffer, openAdoptOffer } from '@protocol/adopt.js';
import type { AdoptEnvelope } from '@protocol/envelopes.js';
import { newIdentity, type Identity } from '@protocol/identity.js';
import { registerIdentity } from '../identity/api.js';
import { adoptAnswered, recordAdoptAnswer } from '../identity/adoptLog.js';
import { adoptIdentity } from '../identity/session.js';
import type { StorageMode } from '../identity/storage.js';
import type { RoomStore } from '../store/roomStore.js';
import { describePostError, type PostResult } from '../transport/post.js';

export interface AdoptionDeps {
  store: RoomStore;
  boxSecretKey: Uint8Array;
  post: (plaintext: string) => Promise<PostResult>;
  register?: typeof registerIdentity;
  adopt?: typeof adoptIdentity;
}

export class Adoption {
  private pending: { adoptId: string; identity: Identity } | null = null;
  /** Offers this operator sent, by the target's presence key, until the new handle shows up. */
  private readonly offered = new Map<string, { target: string; handle: string }>();

  constructor(private readonly d: AdoptionDeps) {}

  /** Mint and register a fresh identity, seal it to the target's key and post the offer, signed. */
  async promote(
    targetName: string,
    boxPub: string,
    handle: string,
  ): Promise<{ ok: true } | { ok: false; error: string }> {
    const s = this.d.store.getState();
    if (!s.identity)
      return {
        ok: false,
        error:
          'Sign in first: only signed operators can promote, and the target accepts offers only from them.',
      };
    const pub = decodeBase64Loose(boxPub);
    if (!pub || pub.length !== 32)
      return { ok: false, error: `${targetName} advertises a malformed key, so it cannot be promoted.` };
    const fresh = newIdentity(handle);
    const reg = await (this.d.register ?? registerIdentity)(fresh);
    if (!reg.ok) return { ok: false, error: reg.message };
    const r = await this.d.post(buildAdoptOffer(fresh, targetName, pub));
    if (!r.ok) return { ok: false, error: `The offer was not sent: ${describePostError(r)}` };
    this.d.store.getState().toast(`Adopt offer sent to ${targetName}; waiting for it to accept`);
    this.offered.set(boxPub, { target: targetName, handle: fresh.handle });
    return { ok: true };
  }

  /** Presence changed: an offered participant now present under its new handle has accepted. */
  notePresence(participants: ReadonlyArray<{ name: string; box_pub?: string | undefined }>): void {
    for (const [key, o] of this.offered) {
      const name = `@${o.handle}`;
      if (!participants.some((p) => p.name === name && (!p.box_pub || p.box_pub === key))) continue;
      this.offered.delete(key);
      this.d.store.getState().toast(`${o.target} accepted: it is now ${name}`);
    }
  }

  /** An offer arrived: only one for our name, from a verified operator, not yet answered. */
  consider(from: { sender: string; sender_verified?: boolean | undefined }, env: AdoptEnvelope): void {
    const s = this.d.store.getState();
    if (env.target_name !== s.me || adoptAnswered(env.adopt_id) || this.pending) return;
    if (from.sender_verified !== true) {
      console.warn(`Ignored an adopt offer from unverified sender "${from.sender}"`);
      return;
    }
    const identity = openAdoptOffer(env, this.d.boxSecretKey);
    if (!identity) return;
    this.pending = { adoptId: env.adopt_id, identity };
    s.setAdoptOffer({ adoptId: env.adopt_id, handle: identity.handle, from: from.sender });
  }

  async accept(mode: StorageMode): Promise<void> {
    const p = this.pending;
    if (!p) return;
    await (this.d.adopt ?? adoptIdentity)(p.identity, mode);
    recordAdoptAnswer(p.adoptId);
    this.pending = null;
    const s = this.d.store.getState();
    s.setAdoptOffer(null);
    s.toast(`You are now @${p.identity.handle}; your messages are signed.`);
  }

  decline(): void {
    if (this.pending) recordAdoptAnswer(this.pending.adoptId);
    this.pending = null;
    this.d.store.getState().setAdoptOffer(null);
  }

  dispose(): void {
    this.pending = null;
  }
}
