/** A live stream on this node (SSE or WebSocket), as the hub sees it. */
export interface Subscriber {
  readonly transport: 'sse' | 'ws';
  readonly ip: string;
  name: string | null;
  boxPub: string | null;
  /** Presence `last_seen`: inbound frames for WS, outbound writes for SSE. */
  lastSeen: number;
  /** Write one frame given as compact JSON text. Must not throw. */
  send(json: string): void;
  close(reason?: string): void;
  /** While the replay is being written, live messages wait here so none is lost or doubled. */
  pending: Array<{ seq: number; json: string }> | null;
}

/** A parked long-poll (`/wait` or `/claim`), woken by the next message in its room. */
export interface Waiter {
  wake(): void;
}
