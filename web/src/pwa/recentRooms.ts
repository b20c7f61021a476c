/**
 * The rooms this device opened last, for the share target's picker: room id and link, newest
 * first, at most eight. The link holds the room key, as the browser's own history does; "Forget
 * this room" and "Clear all local history" remove it.
 */
const KEY = 'bot2bot:recent-rooms';
const MAX = 8;

export interface RecentRoom {
  roomId: string;
  /** Path and fragment: `/room/<id>#k=…`. */
  link: string;
  at: number;
}

export function recentRooms(): RecentRoom[] {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '[]') as unknown;
    if (!Array.isArray(v)) return [];
    return v.filter(
      (r): r is RecentRoom =>
        !!r &&
        typeof r.roomId === 'string' &&
        typeof r.link === 'string' &&
        r.link.startsWith('/room/') &&
        typeof r.at === 'number',
    );
  } catch {
    return [];
  }
}

function save(list: RecentRoom[]): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(list));
  } catch {
    // Private mode: the picker then offers only a pasted link.
  }
}

export function rememberRoom(roomId: string, keyText: string): void {
  const link = `/room/${encodeURIComponent(roomId)}#k=${keyText}`;
  save([{ roomId, link, at: Date.now() }, ...recentRooms().filter((r) => r.roomId !== roomId)].slice(0, MAX));
}

export function forgetRecentRoom(roomId: string): void {
  save(recentRooms().filter((r) => r.roomId !== roomId));
}

export function forgetRecentRooms(): void {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // Nothing kept.
  }
}
