/** Mint a room link locally: a fresh id and 32-byte key. No network call; the room exists on first use. */
import { mintRoom } from '../../protocol/index.js';
import { RoomUrlError } from './errors.js';

export function createRoomUrl(base: string, idLength?: number): string {
  let origin: string;
  try {
    const u = new URL(base);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
    origin = u.origin;
  } catch {
    throw new RoomUrlError(`Bad base URL "${base}": expected http(s)://host[:port]`);
  }
  return mintRoom(origin, idLength).url;
}
