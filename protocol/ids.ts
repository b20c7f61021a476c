/** Identifier rules shared by relay routes, clients and the SDK (reference-relay.md §0, §4, §5). */

export const ROOM_ID_RE = /^[A-Za-z0-9_-]{4,64}$/;
/** Registration, identity, DM and directory routes. */
export const HANDLE_RE = /^[a-z0-9][a-z0-9_-]{1,31}$/;
/** Claim, ack and the sender handle of a signed room post (checked after lowercasing). */
export const LOOSE_HANDLE_RE = /^[a-z0-9_-]{1,32}$/;
/** Presence names: no ASCII space, but any character from U+00A0 up. */
export const PRESENCE_NAME_RE = /^[A-Za-z0-9@._\-\u00A0-\uFFFF]{1,64}$/;
export const MESSAGE_ID_RE = /^[A-Za-z0-9_-]{8,64}$/;
/** Request nonces (`n=` of the Authorization header) and `sender_nonce`. */
export const NONCE_TOKEN_RE = /^[A-Za-z0-9+/=_-]{16,64}$/;

export const RESERVED_HANDLES: ReadonlySet<string> = new Set([
  'anon',
  'admin',
  'bot2bot',
  'system',
  'root',
  'support',
  'help',
  'demo',
  'echo',
]);

/** Alphabet of minted room ids: uppercase without I and O, digits 2–9 (32 symbols). */
export const ROOM_ID_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

export function isRoomId(v: unknown): v is string {
  return typeof v === 'string' && ROOM_ID_RE.test(v);
}

/** A presence name as the relay accepts it: truncated to 64 characters, then checked. */
export function normalizePresenceName(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const cut = v.slice(0, 64);
  return PRESENCE_NAME_RE.test(cut) ? cut : null;
}

/** `@Alice` or `alice` → `alice`; null when it fails the registration rule. */
export function normalizeHandle(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const h = v.replace(/^@/, '').toLowerCase();
  return HANDLE_RE.test(h) ? h : null;
}

/** Random bytes from the platform CSPRNG (WebCrypto in browsers and Node 20). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  globalThis.crypto.getRandomValues(out);
  return out;
}

/** A room id of `length` symbols; unbiased because 256 is a multiple of 32. */
export function mintRoomId(length: number = 10): string {
  let id = '';
  for (const b of randomBytes(length)) id += ROOM_ID_ALPHABET[b % 32];
  return id;
}
