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

  noteSending(nonce: string): void {
    this.byNonce.set(nonce, null);
    if (this.byNonce.size > SENT_LOG_MAX) this.byNonce.delete(this.byNonce.keys().next().value!);
  }

  noteSent(nonce: string, id: string): void {
    if (this.byNonce.has(nonce)) this.byNonce.set(nonce, id);
  }

  isOwn(f: { id: string; nonce: string }): boolean {
    const id = this.byNonce.get(f.nonce);
    return id === null ? true : id === f.id;
  }
}
