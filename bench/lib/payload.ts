/**
 * Real-looking message bodies: a fresh random 24-byte nonce and a 200-byte random "ciphertext",
 * both strict padded base64, as a real client would send. The first 18 bytes of the ciphertext
 * carry the bench's own bookkeeping (run tag, message index, send time) so a receiver can
 * identify and time each delivery by decoding only the first 24 base64 characters. The rest is
 * random; the relay only checks base64 shape and length, so it cannot tell.
 */
import { randomFillSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';

export const CIPHERTEXT_BYTES = 200;
const HEADER_BYTES = 18; // a multiple of 3, so header and tail base64 concatenate cleanly
const TAIL_POOL = 512;

const tails: string[] = [];
for (let i = 0; i < TAIL_POOL; i++)
  tails.push(randomFillSync(Buffer.alloc(CIPHERTEXT_BYTES - HEADER_BYTES)).toString('base64'));

const random = Buffer.alloc(64 * 1024);
let randomAt = random.length;
function randomBytes(n: number): Buffer {
  if (randomAt + n > random.length) {
    randomFillSync(random);
    randomAt = 0;
  }
  const b = random.subarray(randomAt, randomAt + n);
  randomAt += n;
  return b;
}

const header = Buffer.alloc(HEADER_BYTES);

/** Milliseconds on the monotonic clock shared by every part of the load generator. */
export const now = (): number => performance.now();

/** A ciphertext carrying (tag, index, send time = now()). */
export function ciphertext(tag: number, index: number): string {
  header.writeUInt32BE(tag >>> 0, 0);
  header.writeUInt32BE(index >>> 0, 4);
  header.writeDoubleBE(now(), 8);
  randomBytes(2).copy(header, 16);
  return header.toString('base64') + tails[index % TAIL_POOL]!;
}

export function nonce(): string {
  return randomBytes(24).toString('base64');
}

/** The JSON body of a post (HTTP body or WS frame: the relay reads the same fields). */
export function postBody(tag: number, index: number): string {
  return '{"ciphertext":"' + ciphertext(tag, index) + '","nonce":"' + nonce() + '","sender":"bench"}';
}

export interface Stamp {
  tag: number;
  index: number;
  sentAt: number;
}

const decodeBuf = Buffer.alloc(HEADER_BYTES);
/** Read the bookkeeping back from the first 24 characters of a ciphertext. */
export function readStamp(ct24: string, out: Stamp): boolean {
  if (ct24.length < 24) return false;
  const n = decodeBuf.write(ct24, 0, 'base64');
  if (n < 16) return false;
  out.tag = decodeBuf.readUInt32BE(0);
  out.index = decodeBuf.readUInt32BE(4);
  out.sentAt = decodeBuf.readDoubleBE(8);
  return true;
}
