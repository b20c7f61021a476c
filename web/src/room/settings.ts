/** Per-room settings kept on this device: the display name, the default timer, forgetting. */
import { forgetRoomSettings, saveName, saveTtl } from '../storage/local.js';
import { forgetRecentRoom } from '../pwa/recentRooms.js';
import type { RoomStore } from '../store/roomStore.js';

export class RoomSettings {
  constructor(
    private readonly roomId: string,
    private readonly store: RoomStore,
    /** `hello` without box_pub renames and keeps our key on the relay. */
    private readonly sendHello: () => void,
  ) {}

  rename(name: string): void {
    const s = this.store.getState();
    if (s.identity || name === s.me) return;
    saveName(name);
    s.setMe(name);
    this.sendHello();
  }

  /** Another tab of this browser took a new name: follow it (it already saved it). */
  follow(name: string): void {
    const s = this.store.getState();
    if (s.identity || name === s.me) return;
    s.setMe(name);
    this.sendHello();
  }

  setTtl(ms: number): void {
    saveTtl(this.roomId, ms);
    this.store.getState().setTtl(ms);
  }

  /** Drop this room's settings; the caller drops its cache. */
  forget(): void {
    forgetRoomSettings(this.roomId);
    forgetRecentRoom(this.roomId);
  }
}
