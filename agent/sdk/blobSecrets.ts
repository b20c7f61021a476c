/**
 * Delete secrets of the files this process uploaded: the relay holds only their hash, so the
 * token in the file envelope (which every participant reads) cannot free them. In memory only:
 * after a restart the secret is gone and the file lives until its own end of life.
 */
const MAX = 10_000;

export class BlobSecrets {
  /** blob id → secret and when the relay drops the blob anyway; oldest first. */
  private readonly byBlob = new Map<string, { secret: string; expiresAt: number }>();

  keep(blobId: string, secret: string, expiresAt: number, now = Date.now()): void {
    for (const [id, v] of this.byBlob) {
      if (v.expiresAt > now && this.byBlob.size < MAX) break;
      this.byBlob.delete(id);
    }
    this.byBlob.set(blobId, { secret, expiresAt });
  }

  get(blobId: string): string | undefined {
    return this.byBlob.get(blobId)?.secret;
  }

  forget(blobId: string): void {
    this.byBlob.delete(blobId);
  }
}
