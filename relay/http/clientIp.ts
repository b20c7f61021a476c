/**
 * Who is asking: one rule for HTTP and WebSocket alike, and one key per client for every
 * per-address limit (rate buckets, stream, waiter and connection caps).
 */
import type { IncomingMessage } from 'node:http';
import { isIPv4 } from 'node:net';
import ipaddr from 'ipaddr.js';
import proxyaddr from 'proxy-addr';

export interface ClientIpRule {
  /** Whether the address at hop `i` (0 = the socket peer) is a proxy we trust. */
  trust: (addr: string, i: number) => boolean;
  /** Believe `CF-Connecting-IP` from a trusted peer (only when the operator says so). */
  cfConnectingIp: boolean;
  /** Nobody is trusted: the peer is the client, with no header to read. */
  none?: boolean;
}

/**
 * `none`: nobody. `all`: the socket peer, whoever it is, for one hop (its last X-Forwarded-For
 * entry): anyone who can reach the port can then pick its own address. `loopback` or a
 * comma-separated list of addresses and CIDR ranges (proxy-addr's syntax): those peers, at every
 * hop. Throws on a malformed list, so a typo fails at start rather than trusting nobody.
 */
export function compileTrust(spec: string, cfConnectingIp = false): ClientIpRule {
  const s = spec.trim();
  if (s === '' || s === 'none') return { trust: () => false, cfConnectingIp, none: true };
  if (s === 'all') return { trust: (_a, i) => i === 0, cfConnectingIp };
  const list = s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  return { trust: proxyaddr.compile(list), cfConnectingIp };
}

/** The client's address: the socket peer unless a trusted proxy says otherwise. */
export function clientAddress(req: IncomingMessage, rule: ClientIpRule): string {
  const peer = req.socket.remoteAddress ?? '';
  if (rule.none) return peer;
  if (rule.cfConnectingIp && peer && rule.trust(peer, 0)) {
    const cf = req.headers['cf-connecting-ip'];
    if (typeof cf === 'string' && ipaddr.isValid(cf.trim())) return cf.trim();
  }
  if (!peer) return '';
  return proxyaddr(req, rule.trust);
}

/**
 * The key every per-address limit counts under. An IPv6 client usually holds a whole /64 (one
 * customer, billions of addresses), so IPv6 addresses are grouped by their first 64 bits; IPv4
 * and IPv4-mapped IPv6 addresses count as themselves.
 */
export function addressKey(address: string): string {
  // Every request computes this: the common cases without parsing.
  if (isIPv4(address)) return address;
  if (address.startsWith('::ffff:') && isIPv4(address.slice(7))) return address.slice(7);
  if (!ipaddr.isValid(address)) return address;
  const a = ipaddr.process(address);
  if (a.kind() === 'ipv4') return a.toString();
  const parts = (a as ipaddr.IPv6).parts;
  return `${parts
    .slice(0, 4)
    .map((p) => p.toString(16))
    .join(':')}::/64`;
}

export function clientIp(req: IncomingMessage, rule: ClientIpRule): string {
  return addressKey(clientAddress(req, rule));
}
