/**
 * The sender's copy of the DMs it sent. The relay keeps a DM only in its recipient's inbox,
 * sealed to them, so this device is the only place the sender's words can be kept. Each copy is
 * sealed to the sender's own box key, exactly as a DM to them would be: like everything else in
 * IndexedDB, nothing here opens without a secret (the identity's keys, which under a passphrase
 * vault are themselves sealed). Copies are kept only while the identity is kept on the device;
 * an identity held in memory leaves no copy behind. Other tabs hear of changes over a
 * BroadcastChannel, so every open DM page shows the same list.
 */
import { useCallback, useEffect, useState } from 'react';
import { openDm, sealDm } from '@protocol/crypto.js';
import type { Identity } from '@protocol/identity.js';
import { deleteSentDm, forgetSentDms, loadSentDms, putSentDm, type SentDmRecord } from '../storage/db.js';

export interface SentDm {
  id: string;
  to: string;
  text: string;
  ts: number;
}

const CHANNEL = 'bot2bot:sent-dms';

export function sealSentDm(identity: Identity, dm: SentDm): SentDmRecord {
  const sealed = sealDm(JSON.stringify({ to: dm.to, text: dm.text }), identity.boxPublicKey);
  return { handle: identity.handle, id: dm.id, ts: dm.ts, ...sealed };
}

/** Null for a copy that does not open with this identity or does not hold `{to, text}`. */
export function openSentDm(identity: Identity, rec: SentDmRecord): SentDm | null {
  const plain = openDm(rec, identity.boxSecretKey);
  if (plain === null) return null;
  try {
    const v = JSON.parse(plain) as unknown;
    if (!v || typeof v !== 'object') return null;
    const { to, text } = v as Record<string, unknown>;
    return typeof to === 'string' && typeof text === 'string' ? { id: rec.id, ts: rec.ts, to, text } : null;
  } catch {
    return null;
  }
}

function announce(handle: string): void {
  if (typeof BroadcastChannel === 'undefined') return;
  const ch = new BroadcastChannel(CHANNEL);
  ch.postMessage({ handle });
  ch.close();
}

/** Drop every kept copy of a handle's sent DMs (sign-out, or keys no longer kept on the device). */
export async function discardSentDms(handle: string): Promise<void> {
  await forgetSentDms(handle);
  announce(handle);
}

/**
 * The sent list of the DM page, newest first. With `keep`, it is loaded from and written to this
 * device; without, it lives as long as the page. `problem` says when storage failed: the message
 * was still sent, only the copy is missing.
 */
export function useSentDms(identity: Identity, keep: boolean) {
  const [sent, setSent] = useState<SentDm[]>([]);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    setSent([]);
    setProblem(null);
    if (!keep) return;
    let live = true;
    const reload = () =>
      loadSentDms(identity.handle).then(
        (rows) => {
          if (!live) return;
          const open = rows.map((r) => openSentDm(identity, r)).filter((m): m is SentDm => m !== null);
          setSent(open.reverse());
        },
        () => live && setProblem('Sent messages cannot be read from this device\u2019s storage.'),
      );
    void reload();
    const ch = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(CHANNEL);
    ch?.addEventListener('message', (e: MessageEvent<{ handle?: unknown }>) => {
      if (e.data?.handle === identity.handle) void reload();
    });
    return () => {
      live = false;
      ch?.close();
    };
  }, [identity, keep]);

  const add = useCallback(
    async (dm: SentDm) => {
      setSent((s) => [dm, ...s.filter((m) => m.id !== dm.id)]);
      if (!keep) return;
      try {
        await putSentDm(sealSentDm(identity, dm));
        announce(identity.handle);
      } catch {
        setProblem('The message was sent, but this device could not keep a copy of it.');
      }
    },
    [identity, keep],
  );

  const forget = useCallback(
    async (id: string) => {
      setSent((s) => s.filter((m) => m.id !== id));
      if (!keep) return;
      try {
        await deleteSentDm(identity.handle, id);
        announce(identity.handle);
      } catch {
        setProblem('Could not remove the copy from this device\u2019s storage.');
      }
    },
    [identity, keep],
  );

  return { sent, add, forget, problem };
}
