import type { StoredMessage } from '../../protocol/index.js';

const SSE_HEAD = Buffer.from('data: ');
const SSE_TAIL = Buffer.from('\n\n');

/**
 * One outgoing frame, encoded at most once per transport however many subscribers receive it:
 * fan-out to N sockets costs N writes, not N serializations.
 */
export class OutFrame {
  private sseBytes: Buffer | undefined;

  /** From the JSON text, or (`ofBytes`) from the UTF-8 bytes a WebSocket sends. */
  constructor(
    private jsonText: string | undefined,
    private wsBytes?: Buffer,
  ) {}

  static ofBytes(ws: Buffer): OutFrame {
    return new OutFrame(undefined, ws);
  }

  get json(): string {
    return (this.jsonText ??= this.wsBytes!.toString('utf8'));
  }

  get ws(): Buffer {
    return (this.wsBytes ??= Buffer.from(this.jsonText!, 'utf8'));
  }

  get sse(): Buffer {
    // From the bytes when there are only bytes: no decode and encode of the text in between.
    return (this.sseBytes ??=
      this.jsonText === undefined
        ? Buffer.concat([SSE_HEAD, this.wsBytes!, SSE_TAIL])
        : Buffer.from(`data: ${this.jsonText}\n\n`, 'utf8'));
  }
}

/** A live stream on this node (SSE or WebSocket), as the hub sees it. */
export interface Subscriber {
  readonly transport: 'sse' | 'ws';
  readonly ip: string;
  name: string | null;
  boxPub: string | null;
  /** What the client said it is in its hello (`web` for the web app); null when it did not say. */
  client: string | null;
  /** Presence `last_seen`: inbound frames for WS, outbound writes for SSE. */
  lastSeen: number;
  /** Write one frame. Must not throw. */
  send(frame: OutFrame): void;
  close(reason?: string): void;
  /** While the replay is being written, live messages wait here so none is lost or doubled. */
  pending: Array<{ seq: number; frame: OutFrame }> | null;
}

/** A parked long-poll (`/wait` or `/claim`), woken by the next message in its room. */
export interface Waiter {
  /** `message` is the one just posted, when a post is what woke the room. */
  wake(message?: StoredMessage): void;
}
