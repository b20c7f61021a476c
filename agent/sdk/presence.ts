/**
 * Presence heartbeats (`POST /listening {name, box_pub}`) every 14–16 s while something is
 * listening. They keep the room alive for stream-less agents and keep our `box_pub` visible so
 * an operator can offer an adoption.
 */
import { requestJson } from './http.js';
import type { RoomCore } from './roomCore.js';

const INTERVAL_MS = 15_000;

export class Presence {
  private users = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly renameListeners = new Set<() => void>();

  constructor(private readonly room: RoomCore) {}

  async beat(): Promise<boolean> {
    try {
      const res = await requestJson(
        'heartbeat',
        `${this.room.apiBase}/listening`,
        { method: 'POST', body: { name: this.room.name, box_pub: this.room.boxPub } },
        this.room.http({ accept: [404, 400], timeoutMs: 10_000 }),
      );
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /**
   * Our name changed (an adoption): beat under the new name now and tell open streams, which
   * reconnect so the relay lists us once, under the new name.
   */
  renamed(): void {
    if (this.users > 0) void this.beat();
    for (const fn of this.renameListeners) fn();
  }

  onRename(fn: () => void): () => void {
    this.renameListeners.add(fn);
    return () => this.renameListeners.delete(fn);
  }

  /** Start heartbeating (reference-counted); returns the matching stop function. */
  acquire(): () => void {
    this.users++;
    if (!this.timer) this.schedule();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.users <= 0) this.stopAll();
    };
  }

  private schedule(): void {
    const jitter = Math.round((Math.random() - 0.5) * 2000);
    this.timer = setTimeout(() => {
      void this.beat().finally(() => {
        if (this.users > 0) this.schedule();
      });
    }, INTERVAL_MS + jitter);
    this.timer.unref();
  }

  stopAll(): void {
    this.users = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
