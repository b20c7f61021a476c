/**
 * Web Push settings. Off unless the operator sets a VAPID key pair (made once with
 * `npm run push:keys`) and a contact subject; the private key never leaves the relay.
 */
import { isIP } from 'node:net';

export interface PushConfig {
  vapidPublicKey: string;
  vapidPrivateKey: string;
  /** `mailto:` or `https:` contact the push services may use to reach the operator. */
  vapidSubject: string;
  /**
   * Hosts a subscription endpoint may name (exact or a parent domain), so the relay only ever
   * posts to push services and never to an address a client picked (no SSRF).
   */
  endpointHosts: string[];
  /**
   * Tests only (no environment variable sets it): also allow plain http, any port, and loopback
   * or private addresses, so a local stand-in push service can be reached.
   */
  localStandIn: boolean;
  subscriptionsMax: number;
  subscriptionsPerIp: number;
  /** A subscription the page has not registered again for this long is forgotten. */
  subscriptionTtlMs: number;
  roomsPerSubscription: number;
  /** At most one push per subscription and topic (a room, or DMs) in this window. */
  coalesceMs: number;
  /** Pushes in flight at once; past it, further ones are dropped (a push is only a nudge). */
  inflightMax: number;
  timeoutMs: number;
}

/** The big browser push services. */
export const DEFAULT_PUSH_HOSTS = [
  'fcm.googleapis.com',
  'push.services.mozilla.com',
  'notify.windows.com',
  'push.apple.com',
];

export function pushConfigFromEnv(env: NodeJS.ProcessEnv): PushConfig | null {
  const pub = env.VAPID_PUBLIC_KEY;
  const priv = env.VAPID_PRIVATE_KEY;
  const subject = env.VAPID_SUBJECT;
  if (!pub && !priv) return null;
  if (!pub || !priv || !subject)
    throw new Error(
      'Web Push needs VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY and VAPID_SUBJECT together (make keys with `npm run push:keys`)',
    );
  if (!/^(mailto:|https:\/\/)/.test(subject))
    throw new Error(`VAPID_SUBJECT must be a mailto: or https: URL, got "${subject}"`);
  return defaultPushConfig({
    vapidPublicKey: pub,
    vapidPrivateKey: priv,
    vapidSubject: subject,
    ...(env.PUSH_ENDPOINT_HOSTS ? { endpointHosts: endpointHosts(env.PUSH_ENDPOINT_HOSTS) } : {}),
    ...(env.PUSH_SUBSCRIPTIONS_MAX
      ? { subscriptionsMax: positive(env.PUSH_SUBSCRIPTIONS_MAX, 'PUSH_SUBSCRIPTIONS_MAX') }
      : {}),
    ...(env.PUSH_SUBSCRIPTIONS_PER_IP
      ? { subscriptionsPerIp: positive(env.PUSH_SUBSCRIPTIONS_PER_IP, 'PUSH_SUBSCRIPTIONS_PER_IP') }
      : {}),
    ...(env.PUSH_SUBSCRIPTION_TTL_MS
      ? { subscriptionTtlMs: positive(env.PUSH_SUBSCRIPTION_TTL_MS, 'PUSH_SUBSCRIPTION_TTL_MS') }
      : {}),
    ...(env.PUSH_COALESCE_MS ? { coalesceMs: positive(env.PUSH_COALESCE_MS, 'PUSH_COALESCE_MS') } : {}),
  });
}

export function defaultPushConfig(
  p: Pick<PushConfig, 'vapidPublicKey' | 'vapidPrivateKey' | 'vapidSubject'> & Partial<PushConfig>,
): PushConfig {
  return {
    endpointHosts: DEFAULT_PUSH_HOSTS,
    localStandIn: false,
    subscriptionsMax: 10_000,
    subscriptionsPerIp: 16,
    subscriptionTtlMs: 30 * 24 * 3600_000,
    roomsPerSubscription: 32,
    coalesceMs: 60_000,
    inflightMax: 64,
    timeoutMs: 10_000,
    ...p,
  };
}

function positive(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${v}"`);
  return n;
}

/** Host names only, each with a dot: an address or a bare top-level domain is no push service. */
function endpointHosts(v: string): string[] {
  const hosts = v
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  for (const h of hosts)
    if (isIP(h) || !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(h))
      throw new Error(`PUSH_ENDPOINT_HOSTS lists "${h}", which is not a push service's host name`);
  return hosts;
}
