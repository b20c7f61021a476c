/**
 * One shard's event stream as this node sees it: a control channel every node subscribes to (DM
 * wake-ups, identities, rate limits) and one channel per room, subscribed only while this node
 * has clients in the room. Scripts publish from inside their atomic step, so one subscriber
 * connection sees a room's messages in seq order.
 *
 * Pub/sub is at-most-once: when the subscriber connection drops, messages published meanwhile
 * are gone. On reconnect this node reads what its rooms missed from the replay buffer and
 * delivers it, holding back live messages until the catch-up is done, so the hub still gets
 * every message exactly once and in order. The same holds when a room is first subscribed:
 * the caller awaits `want()` before reading the buffer.
 */
import type { Redis } from 'ioredis';
import type { StoredMessage } from '../types.js';
import type { BackendEvents } from '../types.js';
import { MESSAGE_FRAME_PREFIX, messageFrame, parseMessageFrame } from '../messageFrame.js';
import { OutFrame } from '../subscriber.js';

const FRAME_HEAD = Buffer.from(MESSAGE_FRAME_PREFIX);
/** A message event is `m{"seq":N,…`: the seq's digits start here. */
const SEQ_AT = 'm{"seq":'.length;
const COMMA = 0x2c;

/** Room channel payloads: m<message json>, l, p, e. */
export const EV = { message: 'm', locked: 'l', presence: 'p', evicted: 'e' } as const;
const EV_MESSAGE = EV.message.charCodeAt(0);

/** A message on its way to the hub: the frame is built once per node, the object only on demand. */
interface Incoming {
  seq: number;
  frame: OutFrame;
  decode: () => StoredMessage;
}

function fromStored(m: StoredMessage): Incoming {
  return { seq: m.seq, frame: new OutFrame(messageFrame(m)), decode: () => m };
}

/**
 * A room channel's message event as it came off the socket: the frame is the stored JSON's bytes
 * behind the frame's `{"type":"message",` (one copy, no decode), and its seq the digits the
 * script wrote first. Null when the bytes are not what the script publishes.
 */
export function incomingOf(payload: Buffer): Incoming | null {
  let seq = 0;
  let i = SEQ_AT;
  for (; i < payload.length; i++) {
    const c = payload[i]!;
    if (c === COMMA) break;
    if (c < 0x30 || c > 0x39) return null;
    seq = seq * 10 + (c - 0x30);
  }
  if (i === SEQ_AT || i >= payload.length) return null;
  const bytes = Buffer.concat([FRAME_HEAD, payload.subarray(2)]);
  const frame = OutFrame.ofBytes(bytes);
  return { seq, frame, decode: () => parseMessageFrame(bytes) };
}

export interface CatchUpSource {
  /** Messages with seq > after (null when the room is gone). */
  readSince(roomId: string, after: number): Promise<StoredMessage[] | null>;
}

export class EventStream {
  /** The highest seq handed to the hub per subscribed room: the dedupe line for catch-up. */
  private readonly delivered = new Map<string, number>();
  /**
   * The last seq a join's replay read in a room that has had no live message yet: where a
   * catch-up starts when the connection drops before the first live message.
   */
  private readonly floor = new Map<string, number>();
  /** Rooms being caught up: live messages wait here until the read is done. */
  private readonly holding = new Map<string, Incoming[]>();
  /** Subscribed rooms, with the SUBSCRIBE's answer: once it resolves, every later event reaches us. */
  private readonly rooms = new Map<string, Promise<void>>();
  private subscribedOnce = false;
  /** Other kinds of frames on the control channel, by tag. */
  private readonly handlers = new Map<string, (rest: string) => void>();
  private readonly roomPrefix: string;
  readonly control: string;

  constructor(
    private readonly sub: Redis,
    root: string,
    private readonly events: () => BackendEvents,
    private readonly source: CatchUpSource,
    /** Room channels are sharded pub/sub (a Redis Cluster): SSUBSCRIBE and `smessage`. */
    private readonly sharded = false,
  ) {
    this.control = `${root}events`;
    this.roomPrefix = `${root}r:`;
  }

  /**
   * Subscribe to the control channel. With `listen`, this stream hooks itself to the client's
   * events; streams sharing one client (a Redis Cluster's slot groups) are fed by a dispatcher
   * calling onMessage/onShardMessage/onReady instead.
   */
  async start(listen = true): Promise<void> {
    if (listen) {
      // The Buffer events: ioredis then leaves the payload undecoded (see incomingOf).
      this.sub.on('messageBuffer', (channel: Buffer, payload: Buffer) => this.onMessage(channel, payload));
      if (this.sharded)
        this.sub.on('smessageBuffer', (channel: Buffer, payload: Buffer) =>
          this.onShardMessage(channel, payload),
        );
      this.sub.on('ready', () => this.onReady());
    }
    await this.sub.subscribe(this.control);
    this.subscribedOnce = true;
  }

  onMessage(channelBytes: Buffer, payload: Buffer): void {
    const channel = channelBytes.toString('latin1');
    if (channel === this.control) this.onControl(payload.toString('utf8'));
    else if (!this.sharded && channel.startsWith(this.roomPrefix))
      this.onRoom(channel.slice(this.roomPrefix.length), payload);
  }

  onShardMessage(channelBytes: Buffer, payload: Buffer): void {
    const channel = channelBytes.toString('latin1');
    if (channel.startsWith(this.roomPrefix)) this.onRoom(channel.slice(this.roomPrefix.length), payload);
  }

  /** ioredis resubscribes by itself after a reconnect; `ready` then means we may have missed some. */
  onReady(): void {
    if (this.subscribedOnce) void this.catchUp();
  }

  /** Route control frames starting with `tag` (one character) to `fn`. */
  on(tag: string, fn: (rest: string) => void): void {
    this.handlers.set(tag, fn);
  }

  /** Receive the room's events from now on; resolves once Redis confirmed the subscription. */
  want(roomId: string): Promise<void> {
    let p = this.rooms.get(roomId);
    if (!p) {
      const channel = this.roomPrefix + roomId;
      p = (this.sharded ? this.sub.ssubscribe(channel) : this.sub.subscribe(channel)).then(
        () => {},
        (e: unknown) => {
          // Not subscribed after all: the next want() tries again.
          if (this.rooms.get(roomId) === p) this.rooms.delete(roomId);
          throw e;
        },
      );
      this.rooms.set(roomId, p);
    }
    return p;
  }

  /** A stream joined after reading the room up to `lastSeq` (see `floor`). */
  noteRead(roomId: string, lastSeq: number): void {
    if (this.rooms.has(roomId) && !this.delivered.has(roomId) && !this.floor.has(roomId))
      this.floor.set(roomId, lastSeq);
  }

  /** Stop receiving the room's events (no client of this node is in it any more). */
  drop(roomId: string): void {
    if (!this.rooms.delete(roomId)) return;
    this.delivered.delete(roomId);
    this.floor.delete(roomId);
    const channel = this.roomPrefix + roomId;
    (this.sharded ? this.sub.sunsubscribe(channel) : this.sub.unsubscribe(channel)).catch(() => {
      // Disconnected: ioredis forgets the channel too, since we asked to leave it.
    });
  }

  isWanted(roomId: string): boolean {
    return this.rooms.has(roomId);
  }

  subscribedRooms(): IterableIterator<string> {
    return this.rooms.keys();
  }

  private onControl(payload: string): void {
    const tag = payload[0];
    const fn = tag === undefined ? undefined : this.handlers.get(tag);
    if (fn) fn(payload.slice(1));
  }

  private onRoom(roomId: string, payload: Buffer): void {
    if (payload[0] === EV_MESSAGE) {
      const m = incomingOf(payload);
      if (!m) return;
      const held = this.holding.get(roomId);
      if (held) held.push(m);
      else this.deliver(roomId, m);
      return;
    }
    const tag = payload.toString('latin1', 0, 1);
    const ev = this.events();
    if (tag === EV.locked) ev.locked(roomId);
    else if (tag === EV.presence) ev.presence(roomId);
    else if (tag === EV.evicted) {
      this.delivered.delete(roomId);
      ev.evicted(roomId);
    }
  }

  private deliver(roomId: string, m: Incoming): void {
    const last = this.delivered.get(roomId) ?? 0;
    if (m.seq <= last) return;
    this.delivered.set(roomId, m.seq);
    this.floor.delete(roomId);
    this.events().message(roomId, m.seq, m.frame, m.decode);
  }

  private async catchUp(): Promise<void> {
    const rooms = [...this.rooms.keys()].filter((id) => !this.holding.has(id));
    for (const id of rooms) this.holding.set(id, []);
    // ioredis says `ready` before it resubscribes. Our own SUBSCRIBE answers after its one (one
    // connection, in order), so once it resolves every later message reaches us: only then is
    // the buffer read, and nothing can fall between the read and the live stream.
    try {
      await this.sub.subscribe(this.control);
    } catch {
      // Gone again; the next `ready` retries. Fall through and release what was held.
    }
    await Promise.all(
      rooms.map(async (id) => {
        try {
          const after = this.delivered.get(id) ?? this.floor.get(id);
          if (after !== undefined) {
            const missed = await this.source.readSince(id, after);
            for (const m of missed ?? []) this.deliver(id, fromStored(m));
          }
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
