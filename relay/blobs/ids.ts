import { randomBytes, timingSafeEqual } from 'node:crypto';

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
