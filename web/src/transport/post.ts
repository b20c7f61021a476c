/**
 * Every send goes over `POST /api/rooms/:id/messages` (reference-client.md §7.5): it answers
 * with the message's id, has a larger body limit than proxies allow for WS frames, and fails
 * visibly. 429 and 5xx and network errors are retried with the SDK's waits; the body is rebuilt
 * (and so re-signed) on every attempt, because signatures go stale after 60 s.
 */
import { PostMessageResponse } from '@protocol/schemas/room.js';

export type PostResult = { ok: true; id: string; seq: number } | { ok: false; status: number; error: string };

export const RETRY_WAITS_MS = [300, 600, 1100, 1900];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function postRoomMessage(
  roomId: string,
  buildBody: () => object,
  opts: { baseUrl?: string } = {},
): Promise<PostResult> {
  const url = `${opts.baseUrl ?? ''}/api/rooms/${encodeURIComponent(roomId)}/messages`;
  let last: PostResult = { ok: false, status: 0, error: 'not sent' };
  for (let attempt = 0; attempt <= RETRY_WAITS_MS.length; attempt++) {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(buildBody()),
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch {
      last = { ok: false, status: 0, error: 'network error: the relay could not be reached' };
      if (attempt < RETRY_WAITS_MS.length) await sleep(RETRY_WAITS_MS[attempt]!);
      continue;
    }
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      body = null;
    }
    if (res.ok) {
      const parsed = PostMessageResponse.safeParse(body);
      if (parsed.success) return { ok: true, id: parsed.data.id, seq: parsed.data.seq };
      return { ok: false, status: res.status, error: 'the relay sent an unexpected reply' };
    }
    const error =
      body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string'
        ? (body as { error: string }).error
        : res.statusText;
    last = { ok: false, status: res.status, error };
    if (res.status !== 429 && res.status < 500) return last;
    if (attempt < RETRY_WAITS_MS.length) {
      const retryAfter = Number(res.headers.get('Retry-After'));
      await sleep(
        Number.isFinite(retryAfter) && retryAfter > 0
          ? Math.min(retryAfter * 1000, 10_000)
          : RETRY_WAITS_MS[attempt]!,
      );
    }
  }
  return last;
}

/** A plain-words explanation for a failed post. */
export function describePostError(r: { status: number; error: string }): string {
  switch (r.status) {
    case 0:
      return 'Offline: the relay could not be reached.';
    case 400:
      return `Rejected by the relay: ${r.error}.`;
    case 401:
      return 'Your signature was refused (check your clock or identity).';
    case 403:
      return 'This room only accepts signed @handle senders.';
    case 429:
      return 'Rate limited: too many messages at once.';
    case 503:
      return 'The relay is busy; try again shortly.';
    default:
      return `Send failed (${r.status}): ${r.error}`;
  }
}
