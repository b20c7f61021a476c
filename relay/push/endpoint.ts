/**
 * The relay posts to URLs its clients hand it, so every endpoint is checked twice: when it is
 * registered (https, default port, a host on the operator's push-service list, no address
 * literal) and when a push goes out (every address the name resolves to must be public, and the
 * connection goes to the address that was checked, so a DNS answer cannot turn it inward).
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { PushConfig } from './config.js';

/** Special-purpose blocks the library files under plain unicast. */
const ALSO_SPECIAL = ['198.18.0.0/15', '100::/64', '2001::/23'].map((c) => ipaddr.parseCIDR(c));

/** Unicast addresses routed on the public internet; loopback, private, link-local, CGNAT, … are not. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  // process() turns an IPv4-mapped IPv6 address into the IPv4 address it carries.
  const a = ipaddr.process(address);
  if (a.range() !== 'unicast') return false;
  // match() is typed per address family; the kinds are equal when it is called.
  type Matcher = { match(net: unknown, bits: number): boolean };
  return !ALSO_SPECIAL.some(([net, bits]) => net.kind() === a.kind() && (a as Matcher).match(net, bits));
}

type EndpointRules = Pick<PushConfig, 'endpointHosts' | 'localStandIn'>;

/** Whether a subscription endpoint names a push service this relay may post to. */
export function endpointAllowed(endpoint: string, rules: EndpointRules): boolean {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    return false;
  }
  if (u.username || u.password) return false;
  const local = rules.localStandIn;
  if (u.protocol !== 'https:' && !(local && u.protocol === 'http:')) return false;
  if (u.port !== '' && !local) return false;
  const host = u.hostname.toLowerCase();
  const literal = host.startsWith('[') ? host.slice(1, -1) : host;
  if (isIP(literal) && !local) return false;
  return rules.endpointHosts.some((h) => host === h || host.endsWith(`.${h}`));
}

/**
 * A `lookup` for http(s).request that refuses a name resolving to any non-public address (unless
 * the local stand-in is allowed); Node then connects to exactly the address handed back here.
 */
export function guardedLookup(localStandIn: boolean): LookupFunction {
  return (hostname, options, callback) => {
    const all: LookupAllOptions = { family: options.family ?? 0, all: true };
    dnsLookup(hostname, all, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const bad = addresses.find((a) => !isPublicAddress(a.address));
      if (addresses.length === 0 || (bad && !localStandIn)) {
        const e = Object.assign(new Error(`push endpoint ${hostname} resolves to a non-public address`), {
          code: 'EPUSHADDRESS',
        });
        return callback(e, '', 0);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}
