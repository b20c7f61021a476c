import { clearAll } from './db.js';
import { clearAllSettings } from './local.js';
import { forgetRecentRooms } from '../pwa/recentRooms.js';

/** "Clear all local history": every room's cache, tombstones, cursors and TTL settings. */
export async function clearAllLocal(): Promise<void> {
  clearAllSettings();
  forgetRecentRooms();
  await clearAll();
}
