/**
 * Room links: `<origin>/room/<roomId>#k=<key>[&m=<messageId>][&signed=1][&…]`
 * (reference-client.md §1.2). The key lives only in the fragment, which browsers never send.
 */
import { decodeBase64Loose, encodeBase64Url } from './base64.js';
import { MESSAGE_ID_RE, ROOM_ID_RE, mintRoomId } from './ids.js';
import { LIMITS } from './limits.js';
import { randomBytes } from './ids.js';

export interface RoomLink {
  origin: string;
  roomId: string;
  key: Uint8Array;
  /** The key text as it appeared, so links we rebuild keep it byte for byte. */
  keyText: string;
  messageId?: string;
  signed: boolean;
  /** Fragment parameters other than k and m, in order, kept when links are rebuilt. */
  extra: Array<[string, string]>;
}

export type RoomLinkError = 'not_a_url' | 'no_room' | 'bad_room_id' | 'no_key' | 'bad_key';

export type RoomLinkResult =
  { ok: true; link: RoomLink } | { ok: false; error: RoomLinkError; message: string };

const MESSAGES: Record<RoomLinkError, string> = {
  not_a_url: 'That is not a URL.',
  no_room: 'The link has no /room/<id> path.',
  bad_room_id: 'The room id must be 4–64 characters of A–Z, a–z, 0–9, _ or -.',
  no_key: 'The link is missing its key: it must end in #k=…',
  bad_key: 'The key in the link is damaged: it must be 32 bytes of base64url.',
};

const fail = (error: RoomLinkError): RoomLinkResult => ({ ok: false, error, message: MESSAGES[error] });

/** Parse the fragment as form-encoded pairs, as URLSearchParams does. */
export function parseFragment(hash: string): Array<[string, string]> {
  return [...new URLSearchParams(hash.replace(/^#/, '')).entries()];
}

export function parseRoomKey(text: string | undefined | null): Uint8Array | null {
  if (!text) return null;
  const key = decodeBase64Loose(text.trim());
  return key && key.length === LIMITS.keyBytes ? key : null;
}

export function parseRoomLink(url: string): RoomLinkResult {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return fail('not_a_url');
  }
  const m = u.pathname.match(/^\/room\/([^/]+)\/?$/);
  if (!m || !m[1]) return fail('no_room');
  const roomId = decodeURIComponent(m[1]);
  if (!ROOM_ID_RE.test(roomId)) return fail('bad_room_id');
  const pairs = parseFragment(u.hash);
  const keyText = pairs.find(([k]) => k === 'k')?.[1];
  if (!keyText) return fail('no_key');
  const key = parseRoomKey(keyText);
  if (!key) return fail('bad_key');
  const mText = pairs.find(([k]) => k === 'm')?.[1];
  const link: RoomLink = {
    origin: u.origin,
    roomId,
    key,
    keyText,
    signed: pairs.some(([k, v]) => k === 'signed' && v === '1'),
    extra: pairs.filter(([k]) => k !== 'k' && k !== 'm'),
  };
  // `m` is attacker-controlled text: only a well-formed id is ever used.
  if (mText && MESSAGE_ID_RE.test(mText)) link.messageId = mText;
  return { ok: true, link };
}

/** Build a link; k first, then m, then any other parameters, unencoded so it stays readable. */
export function formatRoomLink(
  origin: string,
  roomId: string,
  key: Uint8Array | string,
  opts: { messageId?: string; extra?: Array<[string, string]> } = {},
): string {
  const k = typeof key === 'string' ? key : encodeBase64Url(key);
  let frag = `k=${k}`;
  if (opts.messageId) frag += `&m=${opts.messageId}`;
  for (const [name, value] of opts.extra ?? []) frag += `&${name}=${value}`;
  return `${origin.replace(/\/$/, '')}/room/${roomId}#${frag}`;
}

/** A fresh room: 10-symbol id and 32 random key bytes. */
export function mintRoom(
  origin: string,
  idLength: number = LIMITS.mintedRoomIdLength,
): { roomId: string; key: Uint8Array; url: string } {
  const roomId = mintRoomId(idLength);
  const key = randomBytes(LIMITS.keyBytes);
  return { roomId, key, url: formatRoomLink(origin, roomId, key) };
}
