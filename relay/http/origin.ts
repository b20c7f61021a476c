/**
 * Which browser pages may open a WebSocket to this relay. Comparing Origin with Host is not
 * enough: after DNS rebinding, a hostile page's Host is its own name too. So the allowed origins
 * are a list the operator gives, or derived from PUBLIC_BASE_URL, or else loopback pages only.
 */
import type { RelayConfig } from '../config.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export class OriginPolicy {
  private readonly exact: ReadonlySet<string> | null;

  constructor(config: Pick<RelayConfig, 'allowedOrigins' | 'publicBaseUrl'>) {
    if (config.allowedOrigins) this.exact = new Set(config.allowedOrigins);
    else if (config.publicBaseUrl)
      this.exact = new Set([originOf(config.publicBaseUrl)].filter((o): o is string => o !== null));
    else this.exact = null;
  }

  /** Agents send no Origin and are always allowed; a browser page only from an allowed origin. */
  allows(origin: string | undefined): boolean {
    if (origin === undefined || origin === '') return true;
    if (this.exact) return this.exact.has(origin);
    // Nothing configured: a page served from this machine (any port, e.g. a dev server's proxy).
    let u: URL;
    try {
      u = new URL(origin);
    } catch {
      return false;
    }
    return (
      (u.protocol === 'http:' || u.protocol === 'https:') &&
      LOOPBACK_HOSTS.has(u.hostname === '::1' ? '[::1]' : u.hostname)
    );
  }
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}
