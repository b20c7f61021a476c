/** Posting attachments and edits through the room's outbox (sealed, signed when signed in). */
import { editEnvelope, fileEnvelope } from '@protocol/attachments.js';
import type { PostExtra } from '../room/outbox.js';
import type { RoomStore } from '../store/roomStore.js';
import { describePostError, type PostResult } from '../transport/post.js';
import { keepDeleteSecret } from './deleteSecrets.js';
import { freeFile, uploadFile, type Progress } from './transfer.js';

export interface SendDeps {
  roomId: string;
  store: RoomStore;
  post: (plaintext: string, extra?: PostExtra) => Promise<PostResult>;
}

export async function sendAttachment(
  d: SendDeps,
  file: File,
  opts: { onProgress?: Progress; signal?: AbortSignal } = {},
): Promise<void> {
  const s = d.store.getState();
  const ttlMs = s.ttlMs || undefined;
  const replyTo = s.replyTo?.id;
  const up = await uploadFile(d.roomId, file, { ...(ttlMs ? { ttlMs } : {}), ...opts });
  const { fields } = up;
  // Kept before the message goes out: a delete for everyone may follow at once.
  await keepDeleteSecret(d.roomId, fields.blob_id, up.deleteSecret, up.expiresAt);
  const extra: PostExtra = {};
  if (replyTo) extra.reply_to = replyTo;
  if (ttlMs) extra.ttl_ms = ttlMs;
  const r = await d.post(fileEnvelope(fields), extra);
  if (!r.ok) {
    freeFile(d.roomId, { bot2bot_file_v1: true, ...fields }, up.deleteSecret);
    throw new Error(describePostError(r));
  }
  if (replyTo) d.store.getState().setReplyTo(null);
}

export async function sendEdit(d: SendDeps, id: string, text: string): Promise<void> {
  // Edits apply only under the label the message was sent with: after a rename, the edit
  // still goes out under the old one, or every client (this one too) would ignore it.
  const target = d.store.getState().messages[id];
  const r = await d.post(editEnvelope(id, text), target && !target.verified ? { sender: target.sender } : {});
  if (!r.ok) d.store.getState().toast(`The edit did not reach the relay: ${describePostError(r)}`, 'error');
}
