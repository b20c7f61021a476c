import { describe, expect, it } from 'vitest';
import { fnv1a, initials, senderGradient } from './identityColors.js';
import { exportChat, exportFilename } from './exportChat.js';
import { backoffDelay, BACKOFF_CAP_MS } from '../transport/socket.js';
import { mintRoom, parseRoomLink, formatRoomLink } from '@protocol/roomUrl.js';
import { classifyPlaintext, deleteEnvelope } from '@protocol/envelopes.js';
import { formatTtl, parseTtl, TTL_PRESETS } from '@protocol/ttl.js';
import { openText, sealText, keyFingerprint } from '@protocol/crypto.js';

describe('sender colours and initials (reference-compatible)', () => {
  it('hashes with FNV-1a and derives initials', () => {
    expect(fnv1a('')).toBe(2166136261);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(senderGradient('agent')).toBe(senderGradient(''));
    expect(initials('visitor-oak-2S')).toBe('VO');
    expect(initials('@alice')).toBe('AL');
    expect(initials('…')).toBe('??');
  });
});

describe('room links as the app uses them', () => {
  it('mints 10-symbol ids and 43-character keys that parse back', () => {
    const { roomId, url } = mintRoom('https://x.example');
    expect(roomId).toMatch(/^[A-HJ-NP-Z2-9]{10}$/);
    const r = parseRoomLink(url);
    expect(r.ok && r.link.keyText.length).toBe(43);
    expect(r.ok && r.link.key.length).toBe(32);
  });

  it('reports malformed links with distinct errors', () => {
    expect(parseRoomLink('https://x.example/room/ABCDEFGHJK')).toMatchObject({ ok: false, error: 'no_key' });
    expect(parseRoomLink('https://x.example/room/ABCDEFGHJK#k=short')).toMatchObject({
      ok: false,
      error: 'bad_key',
    });
    expect(parseRoomLink('https://x.example/room/ab#k=x')).toMatchObject({ ok: false, error: 'bad_room_id' });
    expect(parseRoomLink('nope')).toMatchObject({ ok: false, error: 'not_a_url' });
  });

  it('builds permalinks with k first, then m, keeping other params', () => {
    const key = 'A'.repeat(43);
    expect(
      formatRoomLink('https://x', 'ROOM1', key, { messageId: 'abcdefgh', extra: [['signed', '1']] }),
    ).toBe(`https://x/room/ROOM1#k=${key}&m=abcdefgh&signed=1`);
    const r = parseRoomLink(`https://x/room/ROOM1#k=${key}&m=<script>`);
    expect(r.ok && r.link.messageId).toBeUndefined();
  });
});

describe('crypto, envelopes and TTL as the app relies on them', () => {
  it('round-trips text and fingerprints keys', () => {
    const key = new Uint8Array(32).fill(7);
    const s = sealText('héllo', key);
    expect(openText(s, key)).toBe('héllo');
    expect(openText(s, new Uint8Array(32))).toBeNull();
    expect(keyFingerprint(key)).toMatch(/^[0-9A-F]{4} [0-9A-F]{4} [0-9A-F]{4} [0-9A-F]{4}$/);
  });

  it('hides control envelopes, shows everything else', () => {
    expect(classifyPlaintext(deleteEnvelope('abcdefgh', 3)).kind).toBe('delete');
    expect(classifyPlaintext('{"bot2bot_future_v9":true}').kind).toBe('control');
    expect(classifyPlaintext('{"bot2bot_delete_v1":"true"}').kind).toBe('chat');
    expect(classifyPlaintext('{not json').kind).toBe('chat');
  });

  it('parses custom TTLs and labels them', () => {
    expect(TTL_PRESETS.map((p) => p.label)).toEqual(['Off', '30s', '5m', '1h', '8h', '1d', '1w', '1mo']);
    expect(parseTtl('2w')).toEqual({ ok: true, ms: 1_209_600_000 });
    expect(formatTtl(1_209_600_000)).toBe('14d');
    expect(parseTtl('10s').ok).toBe(false);
    expect(parseTtl('2 days').ok).toBe(false);
  });
});

describe('reconnect backoff', () => {
  it('grows, is capped, and never gives up', () => {
    expect(backoffDelay(0, () => 0)).toBe(500);
    expect(backoffDelay(1, () => 0)).toBe(900);
    expect(backoffDelay(50, () => 0)).toBe(BACKOFF_CAP_MS);
    expect(backoffDelay(50, () => 1)).toBe(BACKOFF_CAP_MS * 1.4);
  });
});

describe('save chat', () => {
  const input = {
    roomId: 'ROOM1',
    roomUrl: 'https://x/room/ROOM1',
    fingerprint: 'AAAA BBBB CCCC DDDD',
    me: 'me',
    now: new Date('2026-01-02T03:04:05Z'),
    messages: [
      { id: 'b', seq: 2, sender: 'me', verified: false, ts: 0, text: 'second', own: true },
      { id: 'a', seq: 1, sender: '@bob', verified: true, ts: 0, text: 'first' },
    ],
    reactions: { a: { '👍': ['me', 'carol'] } },
  };
  it('marks messages sent from this browser as its own even under an earlier name', () => {
    const renamed = { ...input, me: 'new-name' };
    const json = JSON.parse(exportChat('json', renamed));
    expect(json.messages.map((m: { isSelf: boolean }) => m.isSelf)).toEqual([false, true]);
  });
  it('writes TXT, MD and JSON in seq order without the key unless asked', () => {
    const txt = exportChat('txt', input);
    expect(txt.indexOf('@bob: first')).toBeLessThan(txt.indexOf('me: second'));
    expect(txt).not.toContain('#k=');
    expect(exportChat('md', input)).toContain('**@bob** ·');
    const json = JSON.parse(exportChat('json', input));
    expect(json.messageCount).toBe(2);
    expect(json.messages[1]).toMatchObject({ id: 'b', isSelf: true });
    expect(json.messages[0].reactions).toEqual({ '👍': ['me', 'carol'] });
    expect(txt).toContain('reactions: 👍 2 (me, carol)');
    expect(exportChat('md', input)).toContain('Reactions: 👍 2 (me, carol)');
    expect(exportFilename('ROOM1', 'md', new Date(2026, 0, 2, 3, 4))).toBe(
      'bot2bot-chat-ROOM1-2026-01-02T03-04.md',
    );
  });
});
