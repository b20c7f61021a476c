/**
 * Push subscriptions in memory, for a single node: an endpoint and its keys, the rooms it asked
 * about and the handle whose DMs it follows. Never message content; a restart forgets them, and
 * the page registers again on its next visit. Bounded: the least recently registered goes past
 * the cap, one address may register only its share, and one not registered again within the
 * TTL is forgotten.
 */
import type { PushStore, PushSubscriptionKeys, PushTopic } from './store.js';

export type { PushSubscriptionKeys } from './store.js';

interface Entry {
  sub: PushSubscriptionKeys;
  /** The address that registered it (per-address cap). */
  owner: string;
  rooms: Set<string>;
  dmHandle: string | null;
  /** topic ('dm' or 'room:<id>') → when the last push for it went out. */
  lastSent: Map<string, number>;
  /** When the page last registered it. */
  seen: number;
}

export class PushRegistry {
  private readonly byEndpoint = new Map<string, Entry>();
  private readonly byRoom = new Map<string, Set<string>>();
  private readonly byHandle = new Map<string, Set<string>>();
  private readonly perOwner = new Map<string, number>();

  constructor(
    private readonly max: number,
    private readonly perOwnerMax: number,
    private readonly ttlMs = Infinity,
  ) {}

  get size(): number {
    return this.byEndpoint.size;
  }

  /** Forget those not registered again within the TTL (the least recently registered come first). */
  expire(now: number): void {
    for (const [endpoint, e] of this.byEndpoint) {
      if (now - e.seen <= this.ttlMs) break;
      this.remove(endpoint);
    }
  }

  /** null when `owner` already holds its share of subscriptions. */
  private entry(sub: PushSubscriptionKeys, owner: string, now: number): Entry | null {
    this.expire(now);
    let e = this.byEndpoint.get(sub.endpoint);
    if (e) {
      e.sub = sub;
      e.seen = now;
      // Most recently used last: the cap lets the oldest go.
      this.byEndpoint.delete(sub.endpoint);
      this.byEndpoint.set(sub.endpoint, e);
      return e;
    }
    const held = this.perOwner.get(owner) ?? 0;
    if (held >= this.perOwnerMax) return null;
    this.perOwner.set(owner, held + 1);
    e = { sub, owner, rooms: new Set(), dmHandle: null, lastSent: new Map(), seen: now };
    this.byEndpoint.set(sub.endpoint, e);
    while (this.byEndpoint.size > this.max) this.remove(this.byEndpoint.keys().next().value!);
    return e;
  }

  /** Replace the rooms a subscription follows. */
  setRooms(sub: PushSubscriptionKeys, rooms: string[], owner: string, now = 0): boolean {
    const e = this.entry(sub, owner, now);
    if (!e) return false;
    for (const r of e.rooms) unindex(this.byRoom, r, sub.endpoint);
    e.rooms = new Set(rooms);
    for (const r of e.rooms) index(this.byRoom, r, sub.endpoint);
    return true;
  }

  setDm(sub: PushSubscriptionKeys, handle: string | null, owner: string, now = 0): boolean {
    const e = this.entry(sub, owner, now);
    if (!e) return false;
    if (e.dmHandle) unindex(this.byHandle, e.dmHandle, sub.endpoint);
    e.dmHandle = handle;
    if (handle) index(this.byHandle, handle, sub.endpoint);
    return true;
  }

  /** The address that registered a subscription (its share of the pushes in flight). */
  ownerOf(endpoint: string): string | undefined {
    return this.byEndpoint.get(endpoint)?.owner;
  }

  remove(endpoint: string): boolean {
    const e = this.byEndpoint.get(endpoint);
    if (!e) return false;
    for (const r of e.rooms) unindex(this.byRoom, r, endpoint);
    if (e.dmHandle) unindex(this.byHandle, e.dmHandle, endpoint);
    this.byEndpoint.delete(endpoint);
    const held = (this.perOwner.get(e.owner) ?? 1) - 1;
    if (held > 0) this.perOwner.set(e.owner, held);
    else this.perOwner.delete(e.owner);
    return true;
  }

  /** The subscriptions due a push for `topic` now (marked as pushed), coalescing within `windowMs`. */
  due(kind: PushTopic, key: string, now: number, windowMs: number): PushSubscriptionKeys[] {
    const endpoints = (kind === 'room' ? this.byRoom : this.byHandle).get(key);
    if (!endpoints) return [];
    const topic = kind === 'room' ? `room:${key}` : 'dm';
    const out: PushSubscriptionKeys[] = [];
    for (const ep of endpoints) {
      const e = this.byEndpoint.get(ep);
      if (!e) continue;
      if (now - e.seen > this.ttlMs) {
        this.remove(ep);
        continue;
      }
      const last = e.lastSent.get(topic);
      if (last !== undefined && now - last < windowMs) continue;
      e.lastSent.set(topic, now);
      out.push(e.sub);
    }
    return out;
  }
}

function index(m: Map<string, Set<string>>, key: string, endpoint: string): void {
  let s = m.get(key);
  if (!s) m.set(key, (s = new Set()));
  s.add(endpoint);
}

function unindex(m: Map<string, Set<string>>, key: string, endpoint: string): void {
  const s = m.get(key);
  if (!s) return;
  s.delete(endpoint);
  if (s.size === 0) m.delete(key);
}

/** The single-node PushStore. */
export class MemoryPushStore implements PushStore {
  constructor(readonly registry: PushRegistry) {}

  setRooms(sub: PushSubscriptionKeys, rooms: string[], owner: string, now: number): Promise<boolean> {
    return Promise.resolve(this.registry.setRooms(sub, rooms, owner, now));
  }

  setDm(sub: PushSubscriptionKeys, handle: string | null, owner: string, now: number): Promise<boolean> {
    return Promise.resolve(this.registry.setDm(sub, handle, owner, now));
  }

  remove(endpoint: string): Promise<void> {
    this.registry.remove(endpoint);
    return Promise.resolve();
  }

  due(kind: PushTopic, key: string, now: number, windowMs: number): Promise<PushSubscriptionKeys[]> {
    return Promise.resolve(this.registry.due(kind, key, now, windowMs));
  }

  count(now: number): Promise<number> {
    this.registry.expire(now);
    return Promise.resolve(this.registry.size);
  }
}
