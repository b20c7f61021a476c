/**
 * Adopt ("Promote") offers (reference-client.md §3.9): an operator seals a freshly registered
 * identity to a participant's presence `box_pub` with nacl.box and posts it as a room message.
 * Both halves live here so the browser, the SDK, the MCP server and tests build and open offers
 * in exactly one way.
 */
import { decodeBase64Loose, encodeBase64Url } from './base64.js';
import { boxOpen, boxSeal, newBoxKeyPair } from './crypto.js';
import { adoptEnvelope, type AdoptEnvelope, type AdoptPayload } from './envelopes.js';
import { utf8Decode, utf8Encode } from './hash.js';
import { identityFromRecord, identityToRecord, type Identity } from './identity.js';

/** The plaintext of an adopt offer for `targetName`, sealed to its presence key. */
export function buildAdoptOffer(
  identity: Identity,
  targetName: string,
  targetBoxPub: Uint8Array,
  adoptId: string = globalThis.crypto.randomUUID(),
): string {
  const payload: AdoptPayload = { ...identityToRecord(identity), adopt_id: adoptId };
  const eph = newBoxKeyPair();
  const { box, nonce } = boxSeal(utf8Encode(JSON.stringify(payload)), targetBoxPub, eph.secretKey);
  return adoptEnvelope({
    adopt_id: adoptId,
    target_name: targetName,
    sender_box_pub: encodeBase64Url(eph.publicKey),
    nonce: encodeBase64Url(nonce),
    ciphertext: encodeBase64Url(box),
  });
}

/**
 * Open an offer with the receiver's presence secret key. Null for anything that does not open
 * or does not hold a valid identity; the caller has already checked the target name and that
 * the outer message was `sender_verified`.
 */
export function openAdoptOffer(envelope: AdoptEnvelope, myBoxSecret: Uint8Array): Identity | null {
  const theirPub = decodeBase64Loose(envelope.sender_box_pub);
  const nonce = decodeBase64Loose(envelope.nonce);
  const box = decodeBase64Loose(envelope.ciphertext);
  if (!theirPub || !nonce || !box) return null;
  const plain = boxOpen(box, nonce, theirPub, myBoxSecret);
  if (!plain) return null;
  let payload: unknown;
  try {
    payload = JSON.parse(utf8Decode(plain));
  } catch {
    return null;
  }
  const r = identityFromRecord(payload);
  return r.ok ? r.value : null;
}
