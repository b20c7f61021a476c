/**
 * Opt-in Web Push from the page: one push subscription per browser, registered with the relay for
 * the rooms the user chose (room ids only, kept in localStorage) and, signed as the user's
 * @handle, for DMs. Pushes say only "new message in a room" or "new direct message".
 */
import { authorizationHeader, type Identity } from '@protocol/identity.js';
import { identityStore } from '../identity/session.js';
import { swRegistration } from './serviceWorker.js';

const ROOMS_KEY = 'bot2bot:push-rooms';
const DM_KEY = 'bot2bot:push-dm';

export type PushAvailability = 'ready' | 'unsupported' | 'off-on-relay' | 'denied';

function b64urlToBytes(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  const out = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function readList(key: string): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(key) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

function writeList(key: string, list: string[]): void {
  try {
    localStorage.setItem(key, JSON.stringify(list));
  } catch {
    // Private mode: the choice lasts as long as the relay keeps the subscription.
  }
}

export function pushedRooms(): string[] {
  return readList(ROOMS_KEY);
}

export function dmPushHandle(): string | null {
  return readList(DM_KEY)[0] ?? null;
}

async function relayKey(): Promise<string | null> {
  try {
    const res = await fetch('/api/push/key', { cache: 'no-store', credentials: 'omit' });
    if (!res.ok) return null;
    const body = (await res.json()) as { public_key?: unknown };
    return typeof body.public_key === 'string' ? body.public_key : null;
  } catch {
    return null;
  }
}

export async function pushAvailability(): Promise<PushAvailability> {
  if (typeof Notification === 'undefined' || !('serviceWorker' in navigator) || !('PushManager' in window))
    return 'unsupported';
  if (Notification.permission === 'denied') return 'denied';
  return (await relayKey()) ? 'ready' : 'off-on-relay';
}

/** This browser's subscription, made (after the permission prompt) when needed. */
async function subscription(): Promise<PushSubscriptionJSON> {
  const reg = await swRegistration();
  if (!reg) throw new Error('This browser has no service worker support.');
  const key = await relayKey();
  if (!key) throw new Error('Push is not enabled on this relay.');
  if ((await Notification.requestPermission()) !== 'granted')
    throw new Error('Notifications are blocked for this site.');
  const existing = await reg.pushManager.getSubscription();
  const sub =
    existing ??
    (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64urlToBytes(key) }));
  return sub.toJSON();
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<void> {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
  });
  if (!res.ok) throw new Error(`The relay refused (${res.status}).`);
}

/** Turn room pushes on or off for one room. */
export async function setRoomPush(roomId: string, on: boolean): Promise<void> {
  const rooms = new Set(pushedRooms());
  if (on) rooms.add(roomId);
  else rooms.delete(roomId);
  const list = [...rooms];
  await post('/api/push/rooms', { subscription: await subscription(), rooms: list });
  writeList(ROOMS_KEY, list);
}

export async function setDmPush(identity: Identity, on: boolean): Promise<void> {
  const path = `/api/dm/${identity.handle}/push`;
  await post(
    path,
    { subscription: await subscription(), enabled: on },
    { Authorization: authorizationHeader(identity, 'POST', path) },
  );
  writeList(DM_KEY, on ? [identity.handle] : []);
}

/**
 * The relay forgets a subscription its page has not registered for a while (and a single relay
 * on restart): each visit registers the chosen rooms and DMs again, without prompting.
 */
export function startPushRenewal(): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  const rooms = pushedRooms();
  const dmHandle = dmPushHandle();
  if (rooms.length === 0 && !dmHandle) return;
  void (async () => {
    const reg = await swRegistration();
    const sub = await reg?.pushManager.getSubscription();
    if (!sub) return;
    const subscription = sub.toJSON();
    if (rooms.length > 0) await post('/api/push/rooms', { subscription, rooms }).catch(() => undefined);
    if (!dmHandle) return;
    const renewDm = (identity: Identity | null) => {
      if (identity?.handle !== dmHandle) return false;
      const path = `/api/dm/${identity.handle}/push`;
      void post(
        path,
        { subscription, enabled: true },
        { Authorization: authorizationHeader(identity, 'POST', path) },
      ).catch(() => undefined);
      return true;
    };
    if (renewDm(identityStore.getState().identity)) return;
    const stop = identityStore.subscribe((s) => {
      if (renewDm(s.identity)) stop();
    });
  })();
}
