import type { IncomingMessage } from 'node:http';
import type { TrustProxy } from '../config.js';

const isLoopback = (ip: string) => ip === '::1' || ip.startsWith('127.');

const strip = (ip: string) => (ip.startsWith('::ffff:') ? ip.slice(7) : ip);

/**
 * One rule for HTTP and WebSocket alike (the reference computed the two differently).
 * Forwarded headers count only when the operator says the peer is a trusted proxy.
 */
export function clientIp(req: IncomingMessage, trust: TrustProxy): string {
  const peer = strip(req.socket.remoteAddress ?? '');
  if (trust === 'none' || (trust === 'loopback' && !isLoopback(peer))) return peer;
  const cf = req.headers['cf-connecting-ip'];
  if (typeof cf === 'string' && cf.trim()) return strip(cf.trim());
  const xff = req.headers['x-forwarded-for'];
  const list = (Array.isArray(xff) ? xff.join(',') : xff ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  // The last entry is the one our trusted proxy appended; earlier ones are client-supplied.
  const last = list[list.length - 1];
  return last ? strip(last) : peer;
}
