import { describe, expect, it } from 'vitest';
import { describeFile, type FileEnvelope } from '@protocol/attachments.js';
import { classifyPlaintext, historyResponse } from '@protocol/envelopes.js';
import { itemToMessage, messageToItem } from '../room/peerHistory.js';
import type { ChatMessage } from '../room/chatState.js';

const file: FileEnvelope = {
  bot2bot_file_v1: true,
  blob_id: 'A'.repeat(22),
  token: 'B'.repeat(22),
  key: 'C'.repeat(43),
  nonce_prefix: 'D'.repeat(22),
  name: 'shot.png',
  type: 'image/png',
  size: 10,
  chunk_size: 262144,
  chunks: 1,
  sha256: 'a'.repeat(64),
  text: 'caption, edited',
};

describe('attachments and edits in peer history', () => {
  it('a file message travels as its envelope and comes back as a file; an edit keeps its marker', () => {
    const m: ChatMessage = {
      id: 'm1-aaaaaaaa',
      seq: 5,
      sender: 'alice',
      verified: true,
      ts: 1,
      text: describeFile(file),
      file,
      edited: true,
    };
    const item = messageToItem(m);
    expect(classifyPlaintext(item.text).kind).toBe('file');
    // Through a real response envelope, as a peer would receive it.
    const resp = classifyPlaintext(historyResponse({ req_id: 'r', chunk: 0, items: [item] }));
    if (resp.kind !== 'hist_resp') throw new Error('not a history response');
    const back = itemToMessage(resp.envelope.items[0]!);
    expect(back.file).toMatchObject({ blob_id: file.blob_id, name: 'shot.png', text: 'caption, edited' });
    expect(back).toMatchObject({ text: describeFile(file), edited: true, restored: true, verified: false });
  });
});
