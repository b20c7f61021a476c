/**
 * One inbox long-poll for the whole app while someone is signed in, so every page can show the
 * unread count and a notice when a DM arrives, and the /dm page reads the same list instead of
 * polling a second time. Read state is a per-handle "read up to seq" mark in localStorage: the
 * relay keeps envelopes until they are deleted, so "unread" is what arrived after the last look.
 * A second mark records which DMs already raised the in-app notice, so each does so once.
 */
import { createStore, useStore } from 'zustand';
import type { Identity } from '@protocol/identity.js';
import { identityStore } from '../identity/session.js';
import { deleteDm, waitInbox, type InboxItem } from './api.js';

export type InboxStatus = 'connecting' | 'live' | 'retrying';

export interface InboxState {
  handle: string | null;
  items: InboxItem[];
  status: InboxStatus;
  error: string | null;
  readSeq: number;
  /** The newest DM that arrived while this page was open and the user was not on /dm. */
  arrived: { seq: number; fromHandle: string | null } | null;
}

const WAIT_SEC = 25;
const READ_PREFIX = 'bot2bot:dm-read:';
const NOTICED_PREFIX = 'bot2bot:dm-noticed:';

const empty = (handle: string | null): InboxState => ({
  handle,
  items: [],
  status: 'connecting',
  error: null,
  readSeq: handle ? loadRead(handle) : 0,
  arrived: null,
});

export const inboxStore = createStore<InboxState>()(() => empty(null));

export function useInboxState<T>(sel: (s: InboxState) => T): T {
  return useStore(inboxStore, sel);
}

export const unreadCount = (s: InboxState) => s.items.filter((i) => i.seq > s.readSeq).length;

function loadRead(handle: string, prefix = READ_PREFIX): number {
  try {
    return Number(localStorage.getItem(prefix + handle)) || 0;
  } catch {
    return 0;
  }
}

function saveSeq(prefix: string, handle: string, seq: number): void {
  try {
    localStorage.setItem(prefix + handle, String(seq));
  } catch {
    // Private mode: the marks reset with the page.
  }
}

/** Everything shown so far counts as read (the /dm page calls this while visible). */
export function markAllRead(): void {
  const s = inboxStore.getState();
  const top = s.items.reduce((m, i) => Math.max(m, i.seq), s.readSeq);
  if (top === s.readSeq && !s.arrived) return;
  inboxStore.setState({ readSeq: top, arrived: null });
  if (s.handle) saveSeq(READ_PREFIX, s.handle, top);
}

export function dismissArrived(): void {
  inboxStore.setState({ arrived: null });
}

export async function removeDm(id: string): Promise<void> {
  const identity = identityStore.getState().identity;
  if (!identity) return;
  await deleteDm(identity, id);
  inboxStore.setState((s) => ({ items: s.items.filter((p) => p.id !== id) }));
}

let running: { handle: string; ctl: AbortController } | null = null;

/** One loop per signed-in handle: a refreshed identity object for the same handle keeps it going. */
function start(identity: Identity | null): void {
  const handle = identity?.handle ?? null;
  if ((running?.handle ?? null) === handle) return;
  running?.ctl.abort();
  running = null;
  inboxStore.setState(empty(handle));
  if (!handle) return;
  const ctl = new AbortController();
  running = { handle, ctl };
  void poll(handle, ctl.signal);
}

async function poll(handle: string, signal: AbortSignal): Promise<void> {
  let after = 0;
  let failures = 0;
  let first = true;
  while (!signal.aborted) {
    try {
      // The first poll is short, so the page knows at once that the inbox answers.
      const identity = identityStore.getState().identity;
      if (!identity || identity.handle !== handle) return;
      const r = await waitInbox(identity, after, first ? 1 : WAIT_SEC, signal);
      if (signal.aborted) return;
      first = false;
      failures = 0;
      inboxStore.setState((s) => {
        const known = new Set(s.items.map((p) => p.id));
        const fresh = r.items.filter((i) => !known.has(i.id));
        const items = fresh.length ? [...s.items, ...fresh].sort((a, b) => b.seq - a.seq) : s.items;
        // Each unread DM raises the notice once on this device, whichever page it arrives on.
        const noticed = loadRead(handle, NOTICED_PREFIX);
        const newest = fresh
          .filter((i) => i.seq > s.readSeq && i.seq > noticed)
          .sort((a, b) => b.seq - a.seq)[0];
        if (newest) saveSeq(NOTICED_PREFIX, handle, newest.seq);
        const arrived = newest ? { seq: newest.seq, fromHandle: newest.fromHandle } : s.arrived;
        return { items, status: 'live', error: null, arrived };
      });
      after = Math.max(after, r.lastSeq);
    } catch (e) {
      if (signal.aborted) return;
      failures++;
      inboxStore.setState({ status: 'retrying', error: e instanceof Error ? e.message : String(e) });
      await new Promise((res) => setTimeout(res, Math.min(30_000, 1000 * 2 ** Math.min(failures, 5))));
    }
  }
}

/** Follows sign-in and sign-out for the life of the page. */
export function startInboxWatch(): void {
  start(identityStore.getState().identity);
  identityStore.subscribe((st, prev) => {
    if (st.identity !== prev.identity) start(st.identity);
  });
}
