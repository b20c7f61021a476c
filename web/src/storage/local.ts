/**
 * Small settings in Web Storage, under the reference's keys (reference-client.md §4.3) so a user
 * moving between clients on one origin keeps their name, TTL and identity.
 */
import { identityFromRecord, identityToRecord, type Identity } from '@protocol/identity.js';
import { PRESENCE_NAME_RE } from '@protocol/ids.js';
import { isValidTtl } from '@protocol/ttl.js';

const NAME_KEY = 'bot2bot:name';
const TTL_PREFIX = 'bot2bot:ttl:';
const IDENTITY_KEY = 'bot2bot-identity';

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

const WORDS = [
  'oak',
  'fern',
  'ivy',
  'cedar',
  'linen',
  'slate',
  'amber',
  'cobalt',
  'moss',
  'birch',
  'hazel',
  'flint',
  'clover',
  'sable',
];

export function defaultName(): string {
  const r = new Uint32Array(2);
  crypto.getRandomValues(r);
  const word = WORDS[r[0]! % WORDS.length]!;
  // Wider than the reference's 2-symbol tag: fewer visitor-name collisions, which break echo detection.
  const tag = (46656 + (r[1]! % 1632960)).toString(36).toUpperCase();
  return `visitor-${word}-${tag}`;
}

/** The server refuses presence names outside this pattern silently, so the UI checks first. */
export function validateName(name: string): string | null {
  const n = name.trim();
  if (!n) return 'Name cannot be empty.';
  if (n.startsWith('@')) return 'Names starting with @ are reserved for signed handles.';
  if (n.length > 48) return 'Keep it under 48 characters.';
  if (!PRESENCE_NAME_RE.test(n)) return 'Use letters, digits, . _ - only (no spaces).';
  return null;
}

/**
 * The display name is shared by every tab of this browser (localStorage), so a second tab is the
 * same person; the reference keeps it per tab. sessionStorage is still read, for a tab that set its
 * name before, and written, for clients that only look there.
 */
export function loadName(): string {
  for (const store of [() => localStorage, () => sessionStorage]) {
    const stored = safe(() => store().getItem(NAME_KEY), null);
    if (stored && validateName(stored) === null) {
      saveName(stored);
      return stored;
    }
  }
  const n = defaultName();
  saveName(n);
  return n;
}

export function saveName(name: string): void {
  safe(() => localStorage.setItem(NAME_KEY, name), undefined);
  safe(() => sessionStorage.setItem(NAME_KEY, name), undefined);
}

/** Another tab renamed: `onName` gets the new name (storage events fire in the other tabs only). */
export function watchName(onName: (name: string) => void): () => void {
  if (typeof window === 'undefined') return () => undefined;
  const on = (e: StorageEvent) => {
    if (e.key === NAME_KEY && e.newValue && validateName(e.newValue) === null) onName(e.newValue);
  };
  window.addEventListener('storage', on);
  return () => window.removeEventListener('storage', on);
}

export function loadTtl(roomId: string): number {
  const v = Number(safe(() => localStorage.getItem(TTL_PREFIX + roomId), null));
  return isValidTtl(v) ? v : 0;
}

export function saveTtl(roomId: string, ms: number): void {
  safe(
    () =>
      ms
        ? localStorage.setItem(TTL_PREFIX + roomId, String(ms))
        : localStorage.removeItem(TTL_PREFIX + roomId),
    undefined,
  );
}

export function forgetRoomSettings(roomId: string): void {
  safe(() => localStorage.removeItem(TTL_PREFIX + roomId), undefined);
  safe(() => localStorage.removeItem(`bot2bot:deleted:${roomId}`), undefined);
}

export function clearAllSettings(): void {
  safe(() => {
    for (const k of Object.keys(localStorage))
      if (k.startsWith(TTL_PREFIX) || k.startsWith('bot2bot:deleted:')) localStorage.removeItem(k);
  }, undefined);
}

/**
 * The identity record the reference keeps (plaintext, per origin). Validated before use: a
 * malformed record is ignored, never allowed to break the page, and never deleted for us.
 */
export function loadIdentity(): { identity: Identity | null; error?: string } {
  const raw = safe(() => localStorage.getItem(IDENTITY_KEY), null);
  if (!raw) return { identity: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { identity: null, error: 'The stored identity is not valid JSON; it was left untouched.' };
  }
  const r = identityFromRecord(parsed);
  return r.ok
    ? { identity: r.value }
    : { identity: null, error: `The stored identity is unusable (${r.error}); it was left untouched.` };
}

export function saveIdentity(id: Identity): void {
  localStorage.setItem(IDENTITY_KEY, JSON.stringify(identityToRecord(id)));
}
