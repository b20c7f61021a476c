/**
 * What the participants rail can honestly say about each person (reference-client.md §5.9,
 * §8.2 #2). A name starting with `@` proves nothing by itself; "verified" needs a live message
 * from that name that the relay stamped `sender_verified`. Activity comes from the relay's
 * `last_seen_ms_ago` plus the time since that snapshot.
 */
import type { ChatMessage } from './chatState.js';

export type Role = 'you' | 'verified' | 'handle-unverified' | 'anonymous';

/** Names that have posted a relay-verified message (restored history never counts). */
export function verifiedSenders(messages: Record<string, ChatMessage>): Set<string> {
  const out = new Set<string>();
  for (const id in messages) {
    const m = messages[id]!;
    if (m.verified && !m.restored) out.add(m.sender);
  }
  return out;
}

export function roles(name: string, ctx: { me: string; signedIn: boolean; verified: Set<string> }): Role[] {
  const out: Role[] = [];
  const self = name === ctx.me;
  if (self) out.push('you');
  if ((self && ctx.signedIn) || ctx.verified.has(name)) out.push('verified');
  else if (name.startsWith('@')) out.push('handle-unverified');
  else out.push('anonymous');
  return out;
}

/**
 * A participant with an open stream is listed until it disconnects, so it is active while listed.
 * A stream-less agent is listed from its `/listening` heartbeats (every ~15 s) for up to a minute
 * after the last one: two missed beats and a little slack mean it has stopped, and the rail says
 * so within that bound instead of waiting for the relay to drop the entry.
 */
export const ACTIVE_MS = 35_000;
export const IDLE_MS = 5 * 60_000;

export function activity(
  ageMs: number,
  live = false,
): { label: string; cls: 'is-active' | 'is-idle' | 'is-quiet'; title: string } {
  if (live) return { label: 'active', cls: 'is-active', title: 'Connected now' };
  const secs = Math.max(0, Math.round(ageMs / 1000));
  const ago =
    secs < 60
      ? `${secs}s ago`
      : secs < 3600
        ? `${Math.round(secs / 60)}m ago`
        : `${Math.round(secs / 3600)}h ago`;
  const title = `Last sign of life ${ago}`;
  if (ageMs < ACTIVE_MS) return { label: 'active', cls: 'is-active', title };
  if (ageMs < IDLE_MS) return { label: `idle · ${ago}`, cls: 'is-idle', title };
  return { label: `quiet · ${ago}`, cls: 'is-quiet', title };
}

/**
 * One row per person: a participant renamed (or promoted and adopted) keeps its presence key, and
 * the relay may still list a heartbeat under the old name for a minute. Among entries sharing a
 * key, an open stream wins over a heartbeat, then the freshest.
 */
export function dedupeByKey<
  P extends { name: string; box_pub?: string | undefined; last_seen_ms_ago: number },
>(ps: readonly P[], live: ReadonlySet<string>): P[] {
  const best = new Map<string, P>();
  const better = (a: P, b: P) =>
    live.has(a.name) !== live.has(b.name) ? live.has(a.name) : a.last_seen_ms_ago < b.last_seen_ms_ago;
  for (const p of ps) {
    if (!p.box_pub) continue;
    const cur = best.get(p.box_pub);
    if (!cur || better(p, cur)) best.set(p.box_pub, p);
  }
  return ps.filter((p) => !p.box_pub || best.get(p.box_pub) === p);
}

/**
 * A participant whose stream this page saw and which has since closed has left, even though the
 * relay keeps its last heartbeat for a minute (the protocol has no "leave"). Keys that were never
 * seen streaming (heartbeat-only agents) are judged by their heartbeat as usual.
 */
export function withoutEndedStreams<P extends { name: string; box_pub?: string | undefined }>(
  ps: readonly P[],
  live: ReadonlySet<string>,
  everLive: Set<string>,
): P[] {
  for (const p of ps) if (p.box_pub && live.has(p.name)) everLive.add(p.box_pub);
  return ps.filter((p) => live.has(p.name) || !p.box_pub || !everLive.has(p.box_pub));
}
