/**
 * What this browser sent, so that a message is shown as one's own only when it really came from
 * here: a label proves nothing (anyone may post as "@alice" unsigned, or under one's display
 * name). Each post's fresh secretbox nonce is recorded before it leaves, and the relay's id once
 * it answers; an echo is ours when its nonce is ours and, once the id is known, its id matches
 * (so a copy of our ciphertext reposted by someone else is not).
 */
export const SENT_LOG_MAX = 2000;

export class SentLog {
  /** nonce → relay id, or null while the POST is in flight. Oldest first, capped. */
  private readonly byNonce = new Map<string, string | null>();
  /** Told of every local note, so other tabs of this browser can learn it (sharedSentLog.ts). */
  onNote: ((nonce: string, id: string | null) => void) | null = null;

  noteSending(nonce: string): void {
    this.learn(nonce, null);
    this.onNote?.(nonce, null);
  }

  noteSent(nonce: string, id: string): void {
    if (!this.byNonce.has(nonce)) return;
    this.byNonce.set(nonce, id);
    this.onNote?.(nonce, id);
  }

  /** A note from this tab or from another tab of the same browser. */
  learn(nonce: string, id: string | null): void {
    // The first id known for a nonce is kept: a later note cannot widen what counts as ours.
    if (typeof this.byNonce.get(nonce) === 'string') return;
    this.byNonce.set(nonce, id);
    if (this.byNonce.size > SENT_LOG_MAX) this.byNonce.delete(this.byNonce.keys().next().value!);
  }

  isOwn(f: { id: string; nonce: string }): boolean {
    const id = this.byNonce.get(f.nonce);
    return id === null ? true : id === f.id;
  }
}
