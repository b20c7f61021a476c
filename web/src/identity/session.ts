/**
 * The page's identity, shared by every route (rooms, DMs, the directory): one small zustand
 * store outside React. A sealed identity starts "locked" and is unlocked once per page load; the
 * unlocked keys stay in memory only. The sign-in dialog is opened through this store too, so any
 * component can ask for it.
 */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { Identity } from '@protocol/identity.js';
import {
  eraseIdentity,
  readStored,
  unlockStored,
  writeIdentity,
  type KV,
  type StorageMode,
  defaultKV,
} from './storage.js';
import type { Vault } from './vault.js';

export type Protection = 'plain' | 'sealed' | 'memory';
export type DialogView = 'signin' | 'manage' | 'unlock';

export interface IdentityState {
  identity: Identity | null;
  protection: Protection | null;
  /** A passphrase-sealed identity waiting to be unlocked. */
  vault: Vault | null;
  /** Stored data we could not use; shown, never deleted for the user. */
  storageProblem: string | null;
  /** Set when the relay says our handle belongs to another key now. */
  conflict: boolean;
  /** A non-fatal note from the ownership check (for example clock skew). */
  notice: string | null;
  dialog: { view: DialogView; reason?: string } | null;
}

export const identityStore = createStore<IdentityState>()(() => initialState());

function initialState(): IdentityState {
  const s = readStored();
  const base: IdentityState = {
    identity: null,
    protection: null,
    vault: null,
    storageProblem: null,
    conflict: false,
    notice: null,
    dialog: null,
  };
  if (s.kind === 'plain') return { ...base, identity: s.identity, protection: 'plain' };
  if (s.kind === 'sealed') return { ...base, vault: s.vault, protection: 'sealed' };
  if (s.kind === 'broken') return { ...base, storageProblem: s.error };
  return base;
}

export function useIdentity<T>(sel: (s: IdentityState) => T): T {
  return useStore(identityStore, sel);
}

export function openIdentityDialog(view?: DialogView, reason?: string): void {
  const s = identityStore.getState();
  const v = view ?? (s.identity ? 'manage' : s.vault ? 'unlock' : 'signin');
  identityStore.setState({ dialog: reason ? { view: v, reason } : { view: v } });
}

export function closeIdentityDialog(): void {
  identityStore.setState({ dialog: null });
}

/** Sign in with a validated (and registered) identity, storing it as the user chose. */
export async function adoptIdentity(
  id: Identity,
  mode: StorageMode,
  kv: KV | null = defaultKV(),
): Promise<void> {
  await writeIdentity(id, mode, kv);
  identityStore.setState({
    identity: id,
    protection: mode.kind,
    vault: null,
    conflict: false,
    notice: null,
    storageProblem: null,
  });
}

/** Change how the signed-in identity is kept (set, change or remove the passphrase). */
export async function changeProtection(mode: StorageMode): Promise<void> {
  const id = identityStore.getState().identity;
  if (!id) return;
  if (mode.kind === 'memory') {
    eraseIdentity();
    discardSentCopies(id.handle);
  } else await writeIdentity(id, mode);
  identityStore.setState({ protection: mode.kind });
}

export async function unlock(passphrase: string): Promise<void> {
  const v = identityStore.getState().vault;
  if (!v) return;
  const id = await unlockStored(v, passphrase);
  identityStore.setState({ identity: id, vault: null, protection: 'sealed' });
  void verifyOwnership();
}

/** Explicit sign-out: the keys leave this device (the user was reminded to export). */
export function signOut(): void {
  const handle = identityStore.getState().identity?.handle ?? identityStore.getState().vault?.handle;
  eraseIdentity();
  if (handle) discardSentCopies(handle);
  identityStore.setState({
    identity: null,
    protection: null,
    vault: null,
    conflict: false,
    notice: null,
    storageProblem: null,
  });
}

/**
 * Copies of sent DMs are sealed to the identity's key: once the key leaves the device they can
 * never open again, so they go too. Loaded on demand: the landing page has no use for IndexedDB.
 */
function discardSentCopies(handle: string): void {
  void import('../dm/sentStore.js').then((m) => m.discardSentDms(handle)).catch(() => undefined);
}

let checked = false;

/** Once per page load: make sure the relay still knows our handle under our key. */
export async function verifyOwnership(): Promise<void> {
  const id = identityStore.getState().identity;
  if (!id || checked) return;
  checked = true;
  // Loaded on demand: the relay check pulls in schemas the landing page does not need.
  const { checkOwnership } = await import('./api.js');
  const r = await checkOwnership(id);
  if (identityStore.getState().identity !== id) return;
  if (r.kind === 'conflict') identityStore.setState({ conflict: true });
  else if (r.kind === 'unverified') identityStore.setState({ notice: r.message });
}
