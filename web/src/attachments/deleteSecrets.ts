/**
 * The delete secrets of files this browser uploaded (IndexedDB `blob_secrets`): the relay holds
 * only their hash and frees a file for whoever shows the secret, so the file envelope, which
 * every participant reads, cannot free it. Best effort: without storage (private mode) the
 * secret lives as long as the page, and the file until its own end of life.
 */
import { getBlobSecret, pruneBlobSecrets, putBlobSecret } from '../storage/db.js';

const inPage = new Map<string, string>();
const key = (roomId: string, blobId: string) => `${roomId}/${blobId}`;

export async function keepDeleteSecret(
  roomId: string,
  blobId: string,
  secret: string,
  expiresAt: number,
): Promise<void> {
  inPage.set(key(roomId, blobId), secret);
  try {
    await pruneBlobSecrets(roomId, Date.now());
    await putBlobSecret({ roomId, blobId, secret, expiresAt });
  } catch {
    // No IndexedDB: the in-page copy still serves this tab.
  }
}

export async function deleteSecretOf(roomId: string, blobId: string): Promise<string | undefined> {
  const here = inPage.get(key(roomId, blobId));
  if (here) return here;
  try {
    return (await getBlobSecret(roomId, blobId))?.secret;
  } catch {
    return undefined;
  }
}

/** The file is freed: its secret is of no more use. */
export async function forgetDeleteSecret(roomId: string, blobId: string): Promise<void> {
  inPage.delete(key(roomId, blobId));
  await pruneBlobSecrets(roomId, Date.now(), blobId).catch(() => undefined);
}
