import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 128 random bits as 22 base64url characters: blob ids and upload tokens. */
export function mintBlobSecret(): string {
  return randomBytes(16).toString('base64url');
}

/** Token comparison that takes the same time wherever the strings differ. */
export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * May `secret` free a blob? With a delete hash, only the secret it hashes (the uploader's);
 * without one, the blob's token, which every participant reads in the file envelope.
 */
export function deleteAllowed(secret: string, token: string, deleteHash: string | undefined): boolean {
  if (deleteHash === undefined) return sameToken(secret, token);
  return sameToken(createHash('sha256').update(secret).digest('base64url'), deleteHash);
}
