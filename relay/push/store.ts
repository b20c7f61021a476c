/**
 * Where push subscriptions live: in memory on one node (registry.ts), or in Redis for a cluster
 * (redisStore.ts), so a post or DM accepted by any node reaches every subscriber once.
 */
export interface PushSubscriptionKeys {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export type PushTopic = 'room' | 'dm';

export interface PushStore {
  /** Replace the rooms a subscription follows; false when `owner` already holds its share. */
  setRooms(sub: PushSubscriptionKeys, rooms: string[], owner: string, now: number): Promise<boolean>;
  /** Follow a handle's DMs (null: stop); false when `owner` already holds its share. */
  setDm(sub: PushSubscriptionKeys, handle: string | null, owner: string, now: number): Promise<boolean>;
  remove(endpoint: string, now: number): Promise<void>;
  /**
   * The subscriptions due a push for a room or a handle's DMs now, marked as pushed: at most one
   * per subscription and topic within `windowMs`, across every node.
   */
  due(kind: PushTopic, key: string, now: number, windowMs: number): Promise<PushSubscriptionKeys[]>;
  /** Subscriptions held (for tests and metrics). */
  count(now: number): Promise<number>;
}
