/**
 * One zustand store for the open room, built from typed slices (style-anchors: zustand
 * slices). Actions are callable outside React, so the room controller and tests drive it
 * directly; components read it through `useRoom`.
 */
import { createStore, type StateCreator } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { Identity } from '@protocol/identity.js';
import type { Participant } from '@protocol/schemas/frames.js';
import {
  applyDelete,
  applyReaction,
  emptyChat,
  insertMessages,
  mergeReactions,
  type ChatMessage,
  type ChatState,
} from '../room/chatState.js';
import type { ReactEnvelope } from '@protocol/envelopes.js';
import { applyEdit, type EditEvent } from '../attachments/edits.js';

export type ConnState = 'connecting' | 'online' | 'reconnecting';

export interface ChatSlice extends ChatState {
  addMessages: (m: ChatMessage[], now?: number) => void;
  deleteMessage: (id: string, now?: number) => void;
  react: (actor: string, env: Pick<ReactEnvelope, 'target_id' | 'emoji' | 'op'>, now?: number) => void;
  mergeReactions: (targetId: string, agg: Record<string, string[]>, now?: number) => void;
  setTombstones: (t: Record<string, number>) => void;
  applyEdit: (edit: EditEvent, now?: number) => boolean;
}

export interface SessionSlice {
  roomId: string;
  fingerprint: string;
  me: string;
  /** Null until identity (sign-in) exists; posts are signed whenever it is set. */
  identity: Identity | null;
  setMe: (name: string) => void;
  /** Signing in sets me to @handle; signing out returns to `anonName`. */
  setIdentity: (id: Identity | null, anonName?: string) => void;
  /** "Lock this room" was chosen: the next send carries signed_only:true. */
  lockArmed: boolean;
  setLockArmed: (v: boolean) => void;
  /** An adopt offer waiting for consent. Only display fields: the keys stay in the controller. */
  adoptOffer: AdoptOfferView | null;
  setAdoptOffer: (o: AdoptOfferView | null) => void;
}

export interface AdoptOfferView {
  adoptId: string;
  handle: string;
  /** The verified operator, as the relay stamped it (`@handle`). */
  from: string;
}

export interface ConnSlice {
  conn: ConnState;
  retryInMs: number | null;
  locked: boolean;
  undecryptable: number;
  /** Live traffic has started (the first `ready` arrived): notifications are allowed. */
  live: boolean;
  setConn: (c: ConnState, retryInMs?: number | null) => void;
  setLocked: (v: boolean) => void;
  countUndecryptable: () => void;
  setLive: () => void;
}

export interface PresenceSlice {
  participants: Participant[];
  presenceAt: number;
  /** Names with an open stream (the presence frame's `names`); null until a presence frame. */
  liveNames: string[] | null;
  setPresence: (p: Participant[], at?: number, liveNames?: string[] | null) => void;
  renamePresence: (from: string, to: string) => void;
}

export interface Pending {
  localId: string;
  text: string;
  replyTo?: string;
  ttlMs?: number;
  createdAt: number;
  /** `queued`: kept sealed on this device and sent by itself once the relay answers again. */
  status: 'sending' | 'sent' | 'queued' | 'failed';
  /** The relay's id once the POST succeeded; the pending row goes when its echo arrives. */
  sentId?: string;
  /** The sealed post's nonce: its echo settles the row even when the POST's answer was lost. */
  nonce?: string;
  error?: string | undefined;
}

export interface ComposerSlice {
  replyTo: { id: string; sender: string; preview: string } | null;
  ttlMs: number;
  pending: Pending[];
  setReplyTo: (r: ComposerSlice['replyTo']) => void;
  setTtl: (ms: number) => void;
  upsertPending: (p: Pending) => void;
  removePending: (localId: string) => void;
}

export interface Toast {
  id: number;
  text: string;
  tone: 'ok' | 'error' | 'info';
}

export interface UiSlice {
  toasts: Toast[];
  unread: number;
  mentions: number;
  flashId: string | null;
  /** The open thread pane's root message id (reference-client.md §3.4). */
  threadRootId: string | null;
  /** A jump the message list should perform once the target is rendered (it may be windowed out). */
  jumpRequest: { id: string; nonce: number } | null;
  /** The latest live message, phrased for screen readers. */
  announcement: string;
  /** Messages replayed from IndexedDB at open; null until the replay finished. */
  cacheLoaded: number | null;
  toast: (text: string, tone?: Toast['tone']) => void;
  dismissToast: (id: number) => void;
  /** `mention` is a flag for one message, or how many of `count` messages mention us. */
  bumpUnread: (mention: boolean | number, count?: number) => void;
  clearUnread: () => void;
  flash: (id: string | null) => void;
  openThread: (rootId: string | null) => void;
  requestJump: (id: string) => void;
  announce: (text: string) => void;
  setCacheLoaded: (n: number) => void;
}

export type RoomState = ChatSlice & SessionSlice & ConnSlice & PresenceSlice & ComposerSlice & UiSlice;

const chatSlice: StateCreator<RoomState, [], [], ChatSlice> = (set) => ({
  ...emptyChat(),
  addMessages: (m, now = Date.now()) => set((s) => pickChat(insertMessages(s, m, now))),
  deleteMessage: (id, now = Date.now()) =>
    set((s) => {
      const next = applyDelete(s, id, now);
      if (next === s) return {};
      // A reply armed at a message that just died would point at nothing.
      return { ...pickChat(next), replyTo: s.replyTo?.id === id ? null : s.replyTo };
    }),
  react: (actor, env, now = Date.now()) => set((s) => pickChat(applyReaction(s, actor, env, now))),
  mergeReactions: (targetId, agg, now = Date.now()) =>
    set((s) => pickChat(mergeReactions(s, targetId, agg, now))),
  setTombstones: (t) => set((s) => ({ tombstones: { ...s.tombstones, ...t } })),
  applyEdit: (edit, now = Date.now()) => {
    let applied = false;
    set((s) => {
      const next = applyEdit(s, edit, now);
      applied = next !== s;
      return applied ? pickChat(next) : {};
    });
    return applied;
  },
});

function pickChat(c: ChatState): ChatState {
  return { messages: c.messages, order: c.order, tombstones: c.tombstones, reactions: c.reactions };
}

let toastSeq = 0;

export function createRoomStore(init: {
  roomId: string;
  me: string;
  fingerprint?: string;
  identity?: Identity | null;
  ttlMs?: number;
}) {
  const session: StateCreator<RoomState, [], [], SessionSlice> = (set) => ({
    roomId: init.roomId,
    fingerprint: init.fingerprint ?? '— — — —',
    me: init.identity ? `@${init.identity.handle}` : init.me,
    identity: init.identity ?? null,
    setMe: (me) => set({ me }),
    // Signed in means the relay stamps our posts `@handle`, so "me" must follow (§6.4).
    setIdentity: (identity, anonName) =>
      set((s) => ({
        identity,
        me: identity ? `@${identity.handle}` : (anonName ?? (s.me.startsWith('@') ? s.me.slice(1) : s.me)),
        lockArmed: identity ? s.lockArmed : false,
      })),
    lockArmed: false,
    setLockArmed: (lockArmed) => set({ lockArmed }),
    adoptOffer: null,
    setAdoptOffer: (adoptOffer) => set({ adoptOffer }),
  });
  const conn: StateCreator<RoomState, [], [], ConnSlice> = (set) => ({
    conn: 'connecting',
    retryInMs: null,
    locked: false,
    undecryptable: 0,
    live: false,
    setConn: (c, retryInMs = null) => set({ conn: c, retryInMs }),
    setLocked: (locked) => set({ locked }),
    countUndecryptable: () => set((s) => ({ undecryptable: s.undecryptable + 1 })),
    setLive: () => set({ live: true }),
  });
  const presence: StateCreator<RoomState, [], [], PresenceSlice> = (set) => ({
    participants: [],
    presenceAt: 0,
    liveNames: null,
    setPresence: (participants, at = Date.now(), liveNames = null) =>
      set({ participants, presenceAt: at, liveNames }),
    renamePresence: (from, to) =>
      set((s) => ({
        participants: s.participants.map((p) => (p.name === from ? { ...p, name: to } : p)),
        liveNames: s.liveNames && s.liveNames.map((n) => (n === from ? to : n)),
      })),
  });
  const composer: StateCreator<RoomState, [], [], ComposerSlice> = (set) => ({
    replyTo: null,
    ttlMs: init.ttlMs ?? 0,
    pending: [],
    setReplyTo: (replyTo) => set({ replyTo }),
    setTtl: (ttlMs) => set({ ttlMs }),
    upsertPending: (p) =>
      set((s) => {
        const i = s.pending.findIndex((x) => x.localId === p.localId);
        if (i < 0) return { pending: [...s.pending, p] };
        const pending = [...s.pending];
        pending[i] = p;
        return { pending };
      }),
    removePending: (localId) => set((s) => ({ pending: s.pending.filter((p) => p.localId !== localId) })),
  });
  const ui: StateCreator<RoomState, [], [], UiSlice> = (set) => ({
    toasts: [],
    unread: 0,
    mentions: 0,
    flashId: null,
    threadRootId: null,
    jumpRequest: null,
    announcement: '',
    cacheLoaded: null,
    toast: (text, tone = 'ok') =>
      set((s) => ({ toasts: [...s.toasts.slice(-2), { id: ++toastSeq, text, tone }] })),
    dismissToast: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
    bumpUnread: (mention, count = 1) =>
      set((s) => ({
        unread: s.unread + count,
        mentions: s.mentions + (typeof mention === 'number' ? mention : mention ? 1 : 0),
      })),
    clearUnread: () => set({ unread: 0, mentions: 0 }),
    flash: (flashId) => set({ flashId }),
    openThread: (threadRootId) => set({ threadRootId }),
    requestJump: (id) => set((s) => ({ jumpRequest: { id, nonce: (s.jumpRequest?.nonce ?? 0) + 1 } })),
    announce: (announcement) => set({ announcement }),
    setCacheLoaded: (cacheLoaded) => set({ cacheLoaded }),
  });
  return createStore<RoomState>()((...a) => ({
    ...chatSlice(...a),
    ...session(...a),
    ...conn(...a),
    ...presence(...a),
    ...composer(...a),
    ...ui(...a),
  }));
}

export type RoomStore = ReturnType<typeof createRoomStore>;

export function useRoom<T>(store: RoomStore, selector: (s: RoomState) => T): T {
  return useStore(store, selector);
}
