/**
 * The signed long-poll loop over the inbox, as a hook: resumes after the highest seq, follows
 * `has_more` at once, and backs off (capped) on errors without ever giving up.
 */
import { useCallback, useEffect, useState } from 'react';
import type { Identity } from '@protocol/identity.js';
import { deleteDm, waitInbox, type InboxItem } from './api.js';

export type InboxStatus = 'connecting' | 'live' | 'retrying';

const WAIT_SEC = 25;

export function useInbox(identity: Identity | null) {
  const [items, setItems] = useState<InboxItem[]>([]);
  const [status, setStatus] = useState<InboxStatus>('connecting');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setItems([]);
    setError(null);
    setStatus('connecting');
    if (!identity) return;
    const ctl = new AbortController();
    void (async () => {
      let after = 0;
      let failures = 0;
      let first = true;
      while (!ctl.signal.aborted) {
        try {
          // The first poll is short, so the page knows at once that the inbox answers.
          const r = await waitInbox(identity, after, first ? 1 : WAIT_SEC, ctl.signal);
          first = false;
          failures = 0;
          setStatus('live');
          setError(null);
          if (r.items.length) {
            setItems((prev) => {
              const known = new Set(prev.map((p) => p.id));
              return [...prev, ...r.items.filter((i) => !known.has(i.id))].sort((a, b) => b.seq - a.seq);
            });
          }
          after = Math.max(after, r.lastSeq);
        } catch (e) {
          if (ctl.signal.aborted) return;
          failures++;
          setStatus('retrying');
          setError(e instanceof Error ? e.message : String(e));
          await new Promise((res) => setTimeout(res, Math.min(30_000, 1000 * 2 ** Math.min(failures, 5))));
        }
      }
    })();
    return () => ctl.abort();
  }, [identity]);

  const remove = useCallback(
    async (id: string) => {
      if (!identity) return;
      await deleteDm(identity, id);
      setItems((prev) => prev.filter((p) => p.id !== id));
    },
    [identity],
  );

  return { items, status, error, remove };
}
