import { describe, expect, it } from 'vitest';
import { activity, dedupeByKey, roles, verifiedSenders, withoutEndedStreams } from './presenceRoles.js';
import type { ChatMessage } from './chatState.js';

const m = (id: string, sender: string, verified: boolean, restored = false): ChatMessage => ({
  id,
  seq: 1,
  sender,
  verified,
  ts: 0,
  text: '',
  ...(restored ? { restored } : {}),
});

describe('presence roles and activity', () => {
  it('calls a handle verified only after a relay-verified live message', () => {
    const v = verifiedSenders({
      a: m('a', '@alice', true),
      b: m('b', '@mallory', true, true),
      c: m('c', '@eve', false),
    });
    expect([...v]).toEqual(['@alice']);
    const ctx = { me: 'visitor-x', signedIn: false, verified: v };
    expect(roles('@alice', ctx)).toEqual(['verified']);
    expect(roles('@mallory', ctx)).toEqual(['handle-unverified']);
    expect(roles('bob', ctx)).toEqual(['anonymous']);
    expect(roles('visitor-x', ctx)).toEqual(['you', 'anonymous']);
    expect(roles('@me', { me: '@me', signedIn: true, verified: new Set() })).toEqual(['you', 'verified']);
  });

  it('maps ages to active, idle and quiet', () => {
    expect(activity(5_000).cls).toBe('is-active');
    expect(activity(30_000).label).toBe('active');
    // A heartbeat agent that stopped: two missed beats later it is no longer "active".
    expect(activity(40_000).label).toBe('idle · 40s ago');
    // An open stream is active for as long as the relay lists it.
    expect(activity(80_000, true).label).toBe('active');
    expect(activity(120_000).label).toBe('idle · 2m ago');
    expect(activity(2 * 3600_000).label).toBe('quiet · 2h ago');
    expect(activity(10_000).title).toBe('Last sign of life 10s ago');
  });
});

describe('dedupeByKey', () => {
  it('drops the stale anonymous entry of a participant that took a new name with the same key', () => {
    const ps = [
      { name: 'visitor-oak-ABC', box_pub: 'K1', last_seen_ms_ago: 20_000 },
      { name: '@newbie', box_pub: 'K1', last_seen_ms_ago: 1_000 },
      { name: 'bob', box_pub: 'K2', last_seen_ms_ago: 5_000 },
      { name: 'nokey', last_seen_ms_ago: 5_000 },
    ];
    expect(dedupeByKey(ps, new Set(['@newbie', 'bob'])).map((p) => p.name)).toEqual([
      '@newbie',
      'bob',
      'nokey',
    ]);
    // Without stream information the freshest entry wins.
    expect(dedupeByKey(ps, new Set()).map((p) => p.name)).toEqual(['@newbie', 'bob', 'nokey']);
  });
});

describe('withoutEndedStreams', () => {
  it('drops a participant whose stream closed, keeps heartbeat-only agents', () => {
    const everLive = new Set<string>();
    const ps = [{ name: 'bot', box_pub: 'K1' }, { name: 'poller', box_pub: 'K2' }, { name: 'nokey' }];
    expect(withoutEndedStreams(ps, new Set(['bot']), everLive).map((p) => p.name)).toEqual([
      'bot',
      'poller',
      'nokey',
    ]);
    // The bot stopped: its stream is gone, only its last heartbeat is left on the relay.
    expect(withoutEndedStreams(ps, new Set(), everLive).map((p) => p.name)).toEqual(['poller', 'nokey']);
    // It came back with a new stream.
    expect(withoutEndedStreams(ps, new Set(['bot']), everLive).map((p) => p.name)).toEqual([
      'bot',
      'poller',
      'nokey',
    ]);
  });
});
