import { describe, expect, it } from 'vitest';
import {
  adoptEnvelope,
  classifyPlaintext,
  deleteEnvelope,
  historyRequest,
  historyResponse,
  reactEnvelope,
} from '../envelopes.js';

describe('plaintext classification', () => {
  it('plain text and JSON without a marker are chat', () => {
    expect(classifyPlaintext('hello').kind).toBe('chat');
    expect(classifyPlaintext('{not json').kind).toBe('chat');
    expect(classifyPlaintext('{"a":1}').kind).toBe('chat');
    expect(classifyPlaintext('[1,2]').kind).toBe('chat');
    // A marker must be the boolean true, not "true" or 1.
    expect(classifyPlaintext('{"bot2bot_delete_v1":"true","target_id":"x"}').kind).toBe('chat');
    expect(classifyPlaintext('{"bot2bot_delete_v1":1,"target_id":"x"}').kind).toBe('chat');
  });
  it('recognises each envelope the builders produce', () => {
    expect(classifyPlaintext(deleteEnvelope('abcdefgh', 5))).toEqual({
      kind: 'delete',
      envelope: { bot2bot_delete_v1: true, target_id: 'abcdefgh', target_seq: 5 },
    });
    expect(classifyPlaintext(reactEnvelope('abcdefgh', '👍', 'add')).kind).toBe('react');
    expect(classifyPlaintext(historyRequest('r1')).kind).toBe('hist_req');
    const resp = classifyPlaintext(
      historyResponse({
        req_id: 'r1',
        chunk: 0,
        items: [{ seq: 1, id: 'i', sender: 's', sender_verified: true, ts: 1, text: 't' }],
        deleted: ['d'],
      }),
    );
    expect(
      resp.kind === 'hist_resp' && resp.envelope.items.length === 1 && resp.envelope.deleted?.[0] === 'd',
    ).toBe(true);
    expect(
      classifyPlaintext(
        adoptEnvelope({ adopt_id: 'a', target_name: 't', sender_box_pub: 'p', nonce: 'n', ciphertext: 'c' }),
      ).kind,
    ).toBe('adopt');
  });
  it('adopt wins over other markers, then delete, then react', () => {
    expect(
      classifyPlaintext(
        '{"bot2bot_react_v1":true,"bot2bot_delete_v1":true,"target_id":"x","emoji":"a","op":"add"}',
      ).kind,
    ).toBe('delete');
  });
  it('hides legacy, malformed and future markers without applying them', () => {
    expect(classifyPlaintext('{"safebot_delete_v1":true,"target_id":"abcdefgh"}').kind).toBe('delete');
    expect(classifyPlaintext('{"bot2bot_react_v1":true,"target_id":"x","emoji":"a","op":"bogus"}')).toEqual({
      kind: 'control',
      marker: 'bot2bot_react_v1',
    });
    expect(classifyPlaintext('{"bot2bot_edit_v1":true}')).toEqual({
      kind: 'control',
      marker: 'bot2bot_edit_v1',
    });
  });
  it('applies the 1–24 character emoji rule on receipt', () => {
    const react = classifyPlaintext(reactEnvelope('abcdefgh', ' 👍 ', 'add'));
    expect(react.kind === 'react' ? react.envelope.emoji : null).toBe('👍');
    for (const bad of ['', '   ', 'x'.repeat(25), '😀'.repeat(13)]) {
      expect(classifyPlaintext(reactEnvelope('abcdefgh', bad, 'add'))).toEqual({
        kind: 'control',
        marker: 'bot2bot_react_v1',
      });
    }
    expect(classifyPlaintext(reactEnvelope('abcdefgh', 'x'.repeat(24), 'add')).kind).toBe('react');
  });
  it('drops malformed history items', () => {
    const r = classifyPlaintext(
      '{"bot2bot_hist_resp_v1":true,"req_id":"r","items":[{"seq":"x"},{"seq":1,"id":"i","sender":"s","ts":1,"text":"ok"}]}',
    );
    expect(r.kind === 'hist_resp' ? r.envelope.items.map((i) => i.text) : []).toEqual(['ok']);
  });
});
