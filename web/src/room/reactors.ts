/**
 * Who reacted, keyed the way messages are shown: a reaction's label proves nothing, so a label
 * that looks like a @handle counts as that handle only when the relay verified the sender, and
 * this browser's own reactions are recognised by their nonces, never by display name.
 */
import { looksLikeHandle, normalizeLabel } from '@protocol/labels.js';

/** This browser's own reactions. Normalised labels lose control characters, so none can equal it. */
export const OWN_REACTOR = '\u0000you';
const UNSIGNED = ' (unsigned)';

export function reactorKey(label: string, verified: boolean): string {
  const l = normalizeLabel(label);
  if (!l || verified || !looksLikeHandle(l) || l.endsWith(UNSIGNED)) return l;
  return `${l}${UNSIGNED}`;
}

/** How a reactor is named on screen and in history sent to peers. */
export function reactorName(key: string, me: string): string {
  return key === OWN_REACTOR ? me : key;
}

/** A peer's aggregates are its claims: every label unverified, ours never assumed. */
export function peerAggregates(agg: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [emoji, actors] of Object.entries(agg)) {
    if (!Array.isArray(actors)) continue;
    out[emoji] = actors
      .filter((a): a is string => typeof a === 'string')
      .map((a) => reactorKey(a, false))
      .filter(Boolean);
  }
  return out;
}

/** Our aggregates as peers should read them: our own key becomes our current name. */
export function ownAggregatesAs(
  all: Record<string, Record<string, string[]>>,
  me: string,
): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const [id, agg] of Object.entries(all)) {
    const next: Record<string, string[]> = {};
    for (const [emoji, actors] of Object.entries(agg)) next[emoji] = actors.map((a) => reactorName(a, me));
    out[id] = next;
  }
  return out;
}
