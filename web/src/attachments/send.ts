/** Posting attachments and edits through the room's outbox (sealed, signed when signed in). */
import { editEnvelope, fileEnvelope } from '@protocol/attachments.js';
import type { PostExtra } from '../room/outbox.js';
import type { RoomStore } from '../store/roomStore.js';
import { describePostError, type PostResult } from '../transport/post.js';
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
  const fields = await uploadFile(d.roomId, file, { ...(ttlMs ? { ttlMs } : {}), ...opts });
  const extra: PostExtra = {};
  if (replyTo) extra.reply_to = replyTo;
  if (ttlMs) extra.ttl_ms = ttlMs;
  const r = await d.post(fileEnvelope(fields), extra);
  if (!r.ok) {
    freeFile(d.roomId, { bot2bot_file_v1: true, ...fields });
    throw new Error(describePostError(r));
  }
  if (replyTo) d.store.getState().setReplyTo(null);
}

export async function sendEdit(d: SendDeps, id: string, text: string): Promise<void> {
  const r = await d.post(editEnvelope(id, text));
  if (!r.ok) d.store.getState().toast(`The edit did not reach the relay: ${describePostError(r)}`, 'error');
}
