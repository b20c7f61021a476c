import { describe, expect, it } from 'vitest';
import { encodeBase64Url } from '../base64.js';
import { keyFingerprint, openText, sealText } from '../crypto.js';
import { ROOM_ID_ALPHABET } from '../ids.js';
import { formatRoomLink, mintRoom, parseRoomLink } from '../roomUrl.js';
import { formatTtl, isValidTtl, parseTtl } from '../ttl.js';

describe('room links', () => {
  it('mints 10 symbols from the alphabet and a 43-character key', () => {
    const r = mintRoom('https://x.test');
    expect(r.roomId).toHaveLength(10);
    expect([...r.roomId].every((c) => ROOM_ID_ALPHABET.includes(c))).toBe(true);
    expect(r.url).toMatch(/^https:\/\/x\.test\/room\/[A-Z2-9]{10}#k=[A-Za-z0-9_-]{43}$/);
    const p = parseRoomLink(r.url);
    expect(p.ok && p.link.roomId === r.roomId && p.link.key.length === 32).toBe(true);
  });
  it('accepts padded keys, m and extra params, and keeps k first when rebuilding', () => {
    const key = encodeBase64Url(new Uint8Array(32).fill(9));
    const p = parseRoomLink(`https://x.test/room/ABCD#k=${key}=&m=0123456789&signed=1`);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.link.messageId).toBe('0123456789');
    expect(p.link.signed).toBe(true);
    expect(
      formatRoomLink(p.link.origin, p.link.roomId, key, { messageId: 'abcdefgh', extra: p.link.extra }),
    ).toBe(`https://x.test/room/ABCD#k=${key}&m=abcdefgh&signed=1`);
  });
  it('names what is wrong with a bad link', () => {
    expect(parseRoomLink('nope')).toMatchObject({ ok: false, error: 'not_a_url' });
    expect(parseRoomLink('https://x.test/')).toMatchObject({ ok: false, error: 'no_room' });
    expect(parseRoomLink('https://x.test/room/AB#k=x')).toMatchObject({ ok: false, error: 'bad_room_id' });
    expect(parseRoomLink('https://x.test/room/ABCD')).toMatchObject({ ok: false, error: 'no_key' });
    expect(parseRoomLink('https://x.test/room/ABCD#k=short')).toMatchObject({ ok: false, error: 'bad_key' });
  });
  it('ignores a malformed message id (it is attacker-controlled)', () => {
    const key = encodeBase64Url(new Uint8Array(32));
    const p = parseRoomLink(`https://x.test/room/ABCD#k=${key}&m=<img>`);
    expect(p.ok && p.link.messageId === undefined).toBe(true);
  });
});

describe('room crypto', () => {
  it('seals and opens, and refuses the wrong key', () => {
    const key = new Uint8Array(32).fill(1);
    const s = sealText('héllo 👋', key);
    expect(openText(s, key)).toBe('héllo 👋');
    expect(openText(s, new Uint8Array(32).fill(2))).toBeNull();
    expect(
      openText(
        {
          ciphertext: s.ciphertext.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
          nonce: s.nonce,
        },
        key,
      ),
    ).toBe('héllo 👋');
  });
  it('fingerprint format', () => {
    expect(keyFingerprint(new Uint8Array(32))).toMatch(/^[0-9A-F]{4} [0-9A-F]{4} [0-9A-F]{4} [0-9A-F]{4}$/);
    expect(keyFingerprint(new Uint8Array(32))).toBe('6668 7AAD F862 BD77');
  });
});

describe('TTL', () => {
  it('parses the custom grammar with the reference bounds', () => {
    expect(parseTtl('45s')).toEqual({ ok: true, ms: 45_000 });
    expect(parseTtl(' 1.5 H ')).toEqual({ ok: true, ms: 5_400_000 });
    expect(parseTtl('2w')).toEqual({ ok: true, ms: 1_209_600_000 });
    expect(parseTtl('6mo')).toEqual({ ok: true, ms: 15_552_000_000 });
    expect(parseTtl('10s')).toMatchObject({ ok: false, error: 'Minimum TTL is 30 seconds.' });
    expect(parseTtl('400d')).toMatchObject({ ok: false, error: 'Maximum TTL is 1 year.' });
    expect(parseTtl('3 days').ok).toBe(false);
  });
  it('labels and validates', () => {
    expect(formatTtl(1_209_600_000)).toBe('14d');
    expect(formatTtl(300_000)).toBe('5m');
    expect(formatTtl(45_000)).toBe('45s');
    expect(isValidTtl(0)).toBe(true);
    expect(isValidTtl(29_999)).toBe(false);
    expect(isValidTtl(31_622_400_001)).toBe(false);
  });
});
