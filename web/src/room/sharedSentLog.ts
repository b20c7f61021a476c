/**
 * Tabs of one browser are one person: each tab tells the others (BroadcastChannel, same origin
 * only, nothing leaves the browser) which nonces it posted in a room, so a message sent from one
 * tab shows as one's own in every tab. Only nonces and relay ids travel, never text or keys.
 */
import type { SentLog } from './sentLog.js';

interface Note {
  nonce: string;
  id: string | null;
}

function isNote(v: unknown): v is Note {
  if (typeof v !== 'object' || v === null) return false;
  const n = v as Record<string, unknown>;
  return (
    typeof n.nonce === 'string' &&
    n.nonce.length <= 64 &&
    (n.id === null || (typeof n.id === 'string' && n.id.length <= 64))
  );
}

export function shareSentLog(roomId: string, log: SentLog): () => void {
  if (typeof BroadcastChannel === 'undefined') return () => undefined;
  const ch = new BroadcastChannel(`bot2bot:sent:${roomId}`);
  ch.onmessage = (e: MessageEvent<unknown>) => {
    if (isNote(e.data)) log.learn(e.data.nonce, e.data.id);
  };
  log.onNote = (nonce, id) => ch.postMessage({ nonce, id } satisfies Note);
  return () => {
    log.onNote = null;
    ch.close();
  };
}
