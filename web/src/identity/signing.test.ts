/**
 * The browser's signing paths against the shared fixed vectors (protocol/test/vectors.ts), the
 * same set the relay's tests check: registration, room posts, DMs and owner-signed requests.
 */
import { describe, expect, it } from 'vitest';
import { encodeBase64, encodeBase64Url } from '@protocol/base64.js';
import { authorizationHeader, registerBody, signRoomPost } from '@protocol/identity.js';
import { formatAuthHeader } from '@protocol/signing.js';
import {
  PYNACL_BOX_PUB,
  PYNACL_BOX_SK,
  PYNACL_SEED,
  PYNACL_SIGN_PUB,
  PYNACL_VECTORS as V,
} from '@protocol/test/vectors.js';
import { inboxWaitPath, signDmFields } from '../dm/api.js';
import { parseImport } from './storage.js';

// The vector identity enters the way a user's does: as an export file the browser imports.
const file = JSON.stringify({
  bot2bot_identity_v1: true,
  handle: 'alice',
  box_sk_b64u: encodeBase64Url(PYNACL_BOX_SK),
  sign_seed_b64u: encodeBase64Url(PYNACL_SEED),
});
const parsed = parseImport(file);
if (!parsed.ok) throw new Error(parsed.error);
const alice = parsed.value;

describe('browser signatures match the shared vectors', () => {
  it('derives the pinned public keys', () => {
    expect(encodeBase64(alice.signPublicKey)).toBe(PYNACL_SIGN_PUB);
    expect(encodeBase64(alice.boxPublicKey)).toBe(PYNACL_BOX_PUB);
  });

  it('registration', () => {
    const b = registerBody(alice, V.register.ts);
    expect(b.register_sig).toBe(V.register.sig);
    expect(b.box_pub).toBe(PYNACL_BOX_PUB);
    expect(b.sign_pub).toBe(PYNACL_SIGN_PUB);
  });

  it('room post', () => {
    const s = signRoomPost(alice, V.roomPost.roomId, V.roomPost.ciphertext, V.roomPost.ts, V.roomPost.nonce);
    expect(s).toEqual({
      sender_handle: 'alice',
      sender_ts: V.roomPost.ts,
      sender_nonce: V.roomPost.nonce,
      sender_sig: V.roomPost.sig,
    });
  });

  it('DM sender fields', () => {
    const f = signDmFields(
      alice,
      V.dm.to,
      { ciphertext: V.dm.ciphertext, nonce: V.dm.nonce, sender_eph_pub: V.dm.senderEphPub },
      V.dm.ts,
    );
    expect(f).toEqual({ from_handle: 'alice', from_ts: V.dm.ts, from_sig: V.dm.sig });
  });

  it('inbox long-poll Authorization over the exact path and query', () => {
    const path = inboxWaitPath('alice', 0, 30);
    expect(path).toBe(V.request.path);
    expect(authorizationHeader(alice, 'GET', path, V.request.ts, V.request.nonce)).toBe(
      formatAuthHeader(V.request.ts, V.request.nonce, V.request.sig),
    );
  });
});
