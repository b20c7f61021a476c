/** Room links for agents: the protocol parser, with errors that tell a human what to fix. */
import { parseRoomLink, type RoomLink } from '../../protocol/index.js';
import { RoomUrlError } from './errors.js';

export type { RoomLink };

/**
 * Parse `<origin>/room/<id>#k=<base64url key>`. The key may be unpadded or padded, URL-safe or
 * standard; it must decode to exactly 32 bytes.
 */
export function parseRoomUrl(url: string): RoomLink {
  if (typeof url !== 'string' || url.trim() === '')
    throw new RoomUrlError('No room URL given: expected https://<host>/room/<id>#k=<key>');
  const r = parseRoomLink(url);
  if (!r.ok) {
    const shown = url.includes('#') ? `${url.slice(0, url.indexOf('#'))}#…` : url;
    throw new RoomUrlError(`Bad room URL ${JSON.stringify(shown)}: ${r.message}`);
  }
  const proto = new URL(r.link.origin).protocol;
  if (proto !== 'http:' && proto !== 'https:')
    throw new RoomUrlError(`Bad room URL: the scheme must be http or https, not ${proto}`);
  return r.link;
}
