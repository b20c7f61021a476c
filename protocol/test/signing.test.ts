import { createHash } from 'node:crypto';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { encodeBase64 } from '../base64.js';
import { identityFromSecrets, registerBody, signRoomPost } from '../identity.js';
import {
  canonicalJson,
  dmEnvelopeHash,
  dmText,
  parseAuthHeader,
  profileText,
  registerText,
  requestText,
  roomMessageText,
  signText,
  verifyText,
} from '../signing.js';

// A fixed identity: every signature below is a pinned vector shared with relay and web tests.
import { VECTOR_BOX_SK, VECTOR_SEED } from './vectors.js';
export { VECTOR_BOX_SK, VECTOR_SEED };

describe('signed texts are byte-exact', () => {
  it('register', () => {
    expect(registerText('alice', 1700000000000, 'BOX=', 'SIGN=')).toBe(
      'register alice 1700000000000 BOX= SIGN=',
    );
  });
  it('room-msg hashes the base64 text, not the bytes', () => {
    expect(roomMessageText('ROOM1', 1700000000000, 'nonce-nonce-nonce-1', 'AAAA')).toBe(
      'room-msg ROOM1 1700000000000 nonce-nonce-nonce-1 63c1dd951ffedf6f7fd968ad4efa39b8ed584f162f46e715114ee184f8de9201',
    );
    expect(roomMessageText('R', '17', 'n', 'AAAA')).toBe(`room-msg R 17 n ${sha('AAAA')}`);
  });
  it('dm joins the three strings with |', () => {
    expect(dmEnvelopeHash('C', 'N', 'E')).toBe(sha('C|N|E'));
    expect(dmText('bob', 'alice', 5, 'h')).toBe('dm bob alice 5 h');
  });
  it('request text uses the method and the raw url', () => {
    expect(requestText('post', '/api/rooms/AB12/claim?timeout=30&ttl_ms=120000', 1, 'n')).toBe(
      'POST /api/rooms/AB12/claim?timeout=30&ttl_ms=120000 1 n',
    );
  });
  it('canonical JSON sorts keys recursively, like Python sort_keys with compact separators', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 'é', y: null }], c: true } })).toBe(
      '{"a":{"c":true,"d":[1,{"y":null,"z":"é"}]},"b":1}',
    );
    expect(profileText('h', 7, { x: 1 })).toBe(`bot2bot-agent-profile-v1\nh\n7\n${sha('{"x":1}')}`);
  });
});

describe('fixed signature vectors', () => {
  const id = identityFromSecrets('vector', VECTOR_BOX_SK, VECTOR_SEED);
  it('Ed25519 is deterministic: the same text always gives the same signature', () => {
    const sig = signText('register vector 1700000000000 a b', id.signSecretKey);
    expect(sig).toBe(
      encodeBase64(
        nacl.sign.detached(
          new TextEncoder().encode('register vector 1700000000000 a b'),
          nacl.sign.keyPair.fromSeed(VECTOR_SEED).secretKey,
        ),
      ),
    );
    expect(sig).toMatchInlineSnapshot(
      `"inCnB8++kJeVX7I/EgXGdtHxfQL3WALFVi3mfEcEHjKW+4eN0TtMhBnTHmaGw/bGtmqEmuGrYLrCigCONExLAg=="`,
    );
    expect(verifyText('register vector 1700000000000 a b', sig, encodeBase64(id.signPublicKey))).toBe(true);
    expect(verifyText('register vector 1700000000001 a b', sig, encodeBase64(id.signPublicKey))).toBe(false);
  });
  it('public keys of the vector identity', () => {
    expect(encodeBase64(id.signPublicKey)).toMatchInlineSnapshot(
      `"ebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ="`,
    );
    expect(encodeBase64(id.boxPublicKey)).toMatchInlineSnapshot(
      `"fZwkMWU5glwYluV/KBl3Rnk85gy+461H2p0HuF+lXio="`,
    );
  });
  it('registration and room-post bodies verify', () => {
    const reg = registerBody(id, 1700000000000);
    expect(
      verifyText(
        registerText(reg.handle, reg.register_ts, reg.box_pub, reg.sign_pub),
        reg.register_sig,
        reg.sign_pub,
      ),
    ).toBe(true);
    const s = signRoomPost(id, 'ROOM1', 'AAAA', 1700000000000);
    expect(s.sender_nonce).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(
      verifyText(roomMessageText('ROOM1', s.sender_ts, s.sender_nonce, 'AAAA'), s.sender_sig, reg.sign_pub),
    ).toBe(true);
  });
});

describe('Authorization header', () => {
  it('splits each part at its first = (signature padding contains =)', () => {
    expect(parseAuthHeader('Bot2Bot ts=123, n=abcdefghijklmnop,sig=AAAA==')).toEqual({
      ts: 123,
      nonce: 'abcdefghijklmnop',
      sig: 'AAAA==',
    });
    expect(parseAuthHeader('Bearer x')).toBeNull();
    expect(parseAuthHeader('Bot2Bot ts=0,n=x,sig=y')).toBeNull();
    expect(parseAuthHeader(undefined)).toBeNull();
  });
});

function sha(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}
