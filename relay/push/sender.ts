/**
 * Sends the pushes: encrypted to the subscription's keys and signed with the operator's VAPID key
 * by the `web-push` library. A push says only what kind of thing arrived ("a room", "a DM"); the
 * room, the sender and the text stay out of it. The node that accepted the post or DM sends it,
 * after the store says which subscriptions are due. A subscription the push service no longer
 * knows (404/410) is forgotten.
 */
import http from 'node:http';
import https from 'node:https';
import webpush from 'web-push';
import type { PushConfig } from './config.js';
import { endpointAllowed, guardedLookup } from './endpoint.js';
import type { PushStore, PushSubscriptionKeys, PushTopic } from './store.js';

export type PushKind = PushTopic;

type RequestDetails = ReturnType<typeof webpush.generateRequestDetails>;

export class PushService {
  private inflight = 0;
  /** Pushes the push service accepted (read by tests and metrics). */
  sent = 0;
  dropped = 0;
  /** Pushes refused before any request: the endpoint or its addresses are not allowed. */
  refused = 0;
  private readonly lookup: ReturnType<typeof guardedLookup>;

  constructor(
    readonly config: PushConfig,
    readonly store: PushStore,
    private readonly now: () => number,
  ) {
    this.lookup = guardedLookup(config.localStandIn);
  }

  /** A message was accepted in a room by this node: nudge that room's subscribers. */
  roomMessage(roomId: string): void {
    this.fanOut('room', roomId);
  }

  /** A DM was stored for `handle` by this node. */
  dmStored(handle: string): void {
    this.fanOut('dm', handle);
  }

  private fanOut(kind: PushKind, key: string): void {
    // A push is only a nudge: a store hiccup loses it rather than failing the post.
    this.store.due(kind, key, this.now(), this.config.coalesceMs).then(
      (subs) => {
        for (const sub of subs) this.send(sub, kind);
      },
      () => undefined,
    );
  }

  private send(sub: PushSubscriptionKeys, kind: PushKind): void {
    if (!this.allows(sub.endpoint)) {
      this.refused++;
      return;
    }
    if (this.inflight >= this.config.inflightMax) {
      this.dropped++;
      return;
    }
    const payload = JSON.stringify(kind === 'dm' ? { kind, url: '/dm' } : { kind, url: '/' });
    let details: RequestDetails;
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
      void this.store.remove(sub.endpoint, this.now()).catch(() => undefined);
      return;
    }
    this.inflight++;
    this.deliver(details)
      .then(
        (status) => {
          if (status === 404 || status === 410)
            return this.store.remove(sub.endpoint, this.now()).catch(() => undefined);
          if (status >= 200 && status < 300) this.sent++;
        },
        (e: unknown) => {
          if ((e as { code?: unknown }).code === 'EPUSHADDRESS') this.refused++;
        },
      )
      .finally(() => void this.inflight--);
  }

  /**
   * One request, through the guarded lookup (so it connects only to a checked address), never
   * following a redirect; the answer's status is all that is read.
   */
  private deliver(d: RequestDetails): Promise<number> {
    const url = new URL(d.endpoint);
    const request = url.protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: d.method,
          headers: d.headers as http.OutgoingHttpHeaders,
          lookup: this.lookup,
          timeout: this.config.timeoutMs,
        },
        (res) => {
          resolve(res.statusCode ?? 0);
          res.destroy();
        },
      );
      const overall = setTimeout(() => req.destroy(new Error('push timed out')), this.config.timeoutMs);
      req.on('timeout', () => req.destroy(new Error('push timed out')));
      req.on('error', reject);
      req.on('close', () => clearTimeout(overall));
      req.end(d.body ?? undefined);
    });
  }

  /** Whether an endpoint names a push service this relay may post to. */
  allows(endpoint: string): boolean {
    return endpointAllowed(endpoint, this.config);
  }
}

/** A fresh VAPID key pair, as the environment lines the relay reads. */
export function newVapidEnv(subject = 'mailto:operator@example.com'): string {
  const k = webpush.generateVAPIDKeys();
  return `VAPID_PUBLIC_KEY=${k.publicKey}\nVAPID_PRIVATE_KEY=${k.privateKey}\nVAPID_SUBJECT=${subject}\n`;
}
