/**
 * Loopback-only guard and the source-address pool. The relay's abuse limits are per client IP
 * (32 streams, 300+100/s posts per room, 600+200/s overall); giving every connection its own
 * 127.x.y.z source address keeps those limits out of what is measured. Linux routes all of
 * 127.0.0.0/8 to `lo`, so any of those addresses can be bound without configuration.
 */
import { isIP } from 'node:net';

/** Parse and check a target base URL: http only, and the host must be a loopback address. */
export function parseLoopbackUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`--url: not a URL: "${text}"`);
  }
  if (url.protocol !== 'http:') throw new Error(`--url: only http:// is supported (got ${url.protocol})`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loop = host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
  if (!loop)
    throw new Error(
      `--url: refusing non-loopback host "${url.hostname}"; this benchmark only runs against 127.0.0.0/8, localhost or [::1]`,
    );
  if (url.pathname !== '/' || url.search || url.hash)
    throw new Error(`--url: give the base URL only (e.g. http://127.0.0.1:4100), not "${text}"`);
  return url;
}

/** The address to connect to: localhost is pinned to 127.0.0.1 so source binding works. */
export function connectHost(url: URL): string {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' ? '127.0.0.1' : host;
}

/**
 * Hands out a fresh 127.a.b.c for every connection, never reusing one within a run (a reused
 * address would inherit a half-drained rate bucket). The start is random per run so back-to-back
 * runs against a long-lived relay do not meet their own buckets either. With an IPv6 target
 * there is only ::1, and per-IP limits will show.
 */
export class SourcePool {
  private next: number;
  readonly ipv6: boolean;

  constructor(target: URL) {
    this.ipv6 = connectHost(target) === '::1';
    // 127.<1..200>.0.1 onwards; 127.0.0.x is left to other tools on the machine.
    this.next = ((1 + Math.floor(Math.random() * 200)) << 16) | 1;
  }

  take(): string | undefined {
    if (this.ipv6) return undefined;
    for (;;) {
      const n = this.next++;
      const b = (n >> 16) & 0xff;
      const c = (n >> 8) & 0xff;
      const d = n & 0xff;
      if (d === 0 || d === 255) continue;
      if (b === 0 && c === 0) continue;
      return `127.${b}.${c}.${d}`;
    }
  }
}
