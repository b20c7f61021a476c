/**
 * Web Push settings. Off unless the operator sets a VAPID key pair (made once with
 * `npm run push:keys`) and a contact subject; the private key never leaves the relay.
 */
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
  /** Also allow plain-http endpoints (only for a local stand-in push service in tests). */
  allowHttp: boolean;
  subscriptionsMax: number;
  subscriptionsPerIp: number;
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
    ...(env.PUSH_ENDPOINT_HOSTS
      ? {
          endpointHosts: env.PUSH_ENDPOINT_HOSTS.split(',')
            .map((h) => h.trim().toLowerCase())
            .filter(Boolean),
        }
      : {}),
    ...(env.PUSH_SUBSCRIPTIONS_MAX
      ? { subscriptionsMax: positive(env.PUSH_SUBSCRIPTIONS_MAX, 'PUSH_SUBSCRIPTIONS_MAX') }
      : {}),
    ...(env.PUSH_COALESCE_MS ? { coalesceMs: positive(env.PUSH_COALESCE_MS, 'PUSH_COALESCE_MS') } : {}),
  });
}

export function defaultPushConfig(
  p: Pick<PushConfig, 'vapidPublicKey' | 'vapidPrivateKey' | 'vapidSubject'> & Partial<PushConfig>,
): PushConfig {
  return {
    endpointHosts: DEFAULT_PUSH_HOSTS,
    allowHttp: false,
    subscriptionsMax: 10_000,
    subscriptionsPerIp: 16,
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
