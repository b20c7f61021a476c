/**
 * The cluster's event stream: one Redis pub/sub channel that every node subscribes to. Scripts
 * publish from inside their atomic step, so one subscriber connection sees a room's messages in
 * seq order. Pub/sub is at-most-once, though: when the subscriber connection drops, messages
 * published meanwhile are gone. On reconnect this node reads what its busy rooms missed from the
 * replay buffer and delivers it, holding back live messages until the catch-up is done, so the
 * hub still gets every message exactly once and in order.
 */
import type { Redis } from 'ioredis';
import type { BackendEvents, StoredMessage } from '../types.js';

/** Frame tags: m<room>\n<message json>, l<room>, p<room>, e<room>. */
export const EV = { message: 'm', locked: 'l', presence: 'p', evicted: 'e' } as const;

export interface CatchUpSource {
  /** Messages with seq > after (null when the room is gone). */
  readSince(roomId: string, after: number): Promise<StoredMessage[] | null>;
}

export class EventStream {
  /** The highest seq handed to the hub per room: the dedupe line for catch-up. */
  private readonly delivered = new Map<string, number>();
  /** Rooms being caught up: live messages wait here until the read is done. */
  private readonly holding = new Map<string, StoredMessage[]>();
  private subscribedOnce = false;
  /** Other kinds of frames on the same channel (DM wake-ups), by tag. */
  private readonly handlers = new Map<string, (rest: string) => void>();

  constructor(
    private readonly sub: Redis,
    private readonly channel: string,
    private readonly events: () => BackendEvents,
    private readonly isBusy: () => (roomId: string) => boolean,
    private readonly source: CatchUpSource,
  ) {}

  async start(): Promise<void> {
    this.sub.on('message', (channel: string, payload: string) => {
      if (channel === this.channel) this.onFrame(payload);
    });
    // ioredis resubscribes by itself after a reconnect; `ready` then means we may have missed some.
    this.sub.on('ready', () => {
      if (this.subscribedOnce) void this.catchUp();
    });
    await this.sub.subscribe(this.channel);
    this.subscribedOnce = true;
  }

  /** Route frames starting with `tag` (one character, not a room tag) to `fn`. */
  on(tag: string, fn: (rest: string) => void): void {
    this.handlers.set(tag, fn);
  }

  /** Forget rooms this node no longer serves (called by the janitor). */
  forgetIdle(): void {
    const busy = this.isBusy();
    for (const id of this.delivered.keys()) if (!busy(id) && !this.holding.has(id)) this.delivered.delete(id);
  }

  private onFrame(payload: string): void {
    const tag = payload[0];
    const other = tag === undefined ? undefined : this.handlers.get(tag);
    if (other) return other(payload.slice(1));
    const ev = this.events();
    if (tag === EV.message) {
      const nl = payload.indexOf('\n');
      if (nl < 0) return;
      const roomId = payload.slice(1, nl);
      let m: StoredMessage;
      try {
        m = JSON.parse(payload.slice(nl + 1)) as StoredMessage;
      } catch {
        return;
      }
      const held = this.holding.get(roomId);
      if (held) held.push(m);
      else this.deliver(roomId, m);
      return;
    }
    const roomId = payload.slice(1);
    if (tag === EV.locked) ev.locked(roomId);
    else if (tag === EV.presence) ev.presence(roomId);
    else if (tag === EV.evicted) {
      this.delivered.delete(roomId);
      ev.evicted(roomId);
    }
  }

  private deliver(roomId: string, m: StoredMessage): void {
    const last = this.delivered.get(roomId) ?? 0;
    if (m.seq <= last) return;
    this.delivered.set(roomId, m.seq);
    this.events().message(roomId, m);
  }

  private async catchUp(): Promise<void> {
    const busy = this.isBusy();
    const rooms = [...this.delivered.entries()].filter(([id]) => busy(id) && !this.holding.has(id));
    for (const [id] of rooms) this.holding.set(id, []);
    // ioredis says `ready` before it resubscribes. Our own SUBSCRIBE answers after its one (one
    // connection, in order), so once it resolves every later message reaches us: only then is
    // the buffer read, and nothing can fall between the read and the live stream.
    try {
      await this.sub.subscribe(this.channel);
    } catch {
      // Gone again; the next `ready` retries. Fall through and release what was held.
    }
    await Promise.all(
      rooms.map(async ([id, after]) => {
        try {
          const missed = await this.source.readSince(id, after);
          for (const m of missed ?? []) this.deliver(id, m);
        } catch {
          // Redis went away again: the next `ready` retries; live messages below still flow.
        } finally {
          const held = this.holding.get(id) ?? [];
          this.holding.delete(id);
          for (const m of held) this.deliver(id, m);
        }
      }),
    );
  }
}
