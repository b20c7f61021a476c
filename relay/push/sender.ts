/**
 * Sends the pushes: encrypted to the subscription's keys and signed with the operator's VAPID key
 * by the `web-push` library. A push says only what kind of thing arrived ("a room", "a DM"); the
 * room, the sender and the text stay out of it. A subscription the push service no longer knows
 * (404/410) is forgotten.
 */
import webpush from 'web-push';
import type { PushConfig } from './config.js';
import { PushRegistry, type PushSubscriptionKeys } from './registry.js';

export type PushKind = 'room' | 'dm';

export class PushService {
  readonly registry: PushRegistry;
  private inflight = 0;
  /** Pushes in flight per registering address, so one address's hanging endpoints cannot take them all. */
  private readonly inflightBy = new Map<string, number>();
  /** Pushes handed to the push service (read by tests and metrics). */
  sent = 0;
  dropped = 0;

  constructor(
    readonly config: PushConfig,
    private readonly now: () => number,
  ) {
    this.registry = new PushRegistry(config.subscriptionsMax, config.subscriptionsPerIp);
  }

  /** A message was stored in a room (on any node): nudge that room's subscribers. */
  roomMessage(roomId: string): void {
    this.fanOut('room', roomId);
  }

  dmStored(handle: string): void {
    this.fanOut('dm', handle);
  }

  private fanOut(kind: PushKind, key: string): void {
    for (const sub of this.registry.due(kind, key, this.now(), this.config.coalesceMs)) this.send(sub, kind);
  }

  private send(sub: PushSubscriptionKeys, kind: PushKind): void {
    const owner = this.registry.ownerOf(sub.endpoint) ?? '';
    const mine = this.inflightBy.get(owner) ?? 0;
    // As many as the address may hold subscriptions: a burst of its own never meets it, but
    // subscriptions following many rooms on a push service that never answers do.
    if (this.inflight >= this.config.inflightMax || mine >= this.config.subscriptionsPerIp) {
      this.dropped++;
      return;
    }
    this.inflight++;
    this.inflightBy.set(owner, mine + 1);
    const done = () => {
      this.inflight--;
      const n = (this.inflightBy.get(owner) ?? 1) - 1;
      if (n > 0) this.inflightBy.set(owner, n);
      else this.inflightBy.delete(owner);
    };
    const payload = JSON.stringify(kind === 'dm' ? { kind, url: '/dm' } : { kind, url: '/' });
    // The library encrypts (RFC 8291) and signs (VAPID); the request itself goes through fetch,
    // which also reaches a plain-http stand-in push service when the operator allows one.
    let details: ReturnType<typeof webpush.generateRequestDetails>;
    try {
      details = webpush.generateRequestDetails(sub, payload, {
        vapidDetails: {
          subject: this.config.vapidSubject,
          publicKey: this.config.vapidPublicKey,
          privateKey: this.config.vapidPrivateKey,
        },
        TTL: 3600,
        urgency: 'normal',
        // Same topic: the push service keeps only the newest undelivered one.
        topic: kind,
      });
    } catch {
      done();
      this.registry.remove(sub.endpoint);
      return;
    }
    fetch(details.endpoint, {
      method: details.method,
      headers: details.headers as Record<string, string>,
      body: details.body ? new Uint8Array(details.body) : null,
      redirect: 'error',
      signal: AbortSignal.timeout(this.config.timeoutMs),
    })
      .then(
        async (res) => {
          await res.body?.cancel();
          if (res.status === 404 || res.status === 410) this.registry.remove(sub.endpoint);
          else if (res.ok) this.sent++;
        },
        () => undefined,
      )
      .finally(done);
  }

  /** Whether an endpoint names a push service this relay may post to. */
  allows(endpoint: string): boolean {
    let u: URL;
    try {
      u = new URL(endpoint);
    } catch {
      return false;
    }
    if (u.protocol !== 'https:' && !(this.config.allowHttp && u.protocol === 'http:')) return false;
    if (u.username || u.password) return false;
    // Push services listen on 443; another port on their host is not a push endpoint.
    if (u.port !== '' && !this.config.allowHttp) return false;
    const host = u.hostname.toLowerCase();
    return this.config.endpointHosts.some((h) => host === h || host.endsWith(`.${h}`));
  }
}

/** A fresh VAPID key pair, as the environment lines the relay reads. */
export function newVapidEnv(subject = 'mailto:operator@example.com'): string {
  const k = webpush.generateVAPIDKeys();
  return `VAPID_PUBLIC_KEY=${k.publicKey}\nVAPID_PRIVATE_KEY=${k.privateKey}\nVAPID_SUBJECT=${subject}\n`;
}
