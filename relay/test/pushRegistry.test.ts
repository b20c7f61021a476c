import { describe, expect, it } from 'vitest';
import { PushRegistry } from '../push/registry.js';

const sub = (n: number) => ({
  endpoint: `https://fcm.googleapis.com/fcm/send/${n}`,
  keys: { p256dh: 'p', auth: 'a' },
});

describe('push subscriptions', () => {
  it('coalesce per subscription and topic within the window', () => {
    const r = new PushRegistry(10, 10);
    r.setRooms(sub(1), ['roomA', 'roomB'], 'ip1');
    r.setDm(sub(1), 'bob', 'ip1');
    expect(r.due('room', 'roomA', 0, 60_000)).toHaveLength(1);
    expect(r.due('room', 'roomA', 30_000, 60_000)).toHaveLength(0);
    // Another topic is not held back by the first.
    expect(r.due('room', 'roomB', 30_000, 60_000)).toHaveLength(1);
    expect(r.due('dm', 'bob', 30_000, 60_000)).toHaveLength(1);
    expect(r.due('room', 'roomA', 60_000, 60_000)).toHaveLength(1);
    expect(r.due('room', 'nobody', 0, 60_000)).toHaveLength(0);
  });

  it('replaces the room list, and forgets everything on remove', () => {
    const r = new PushRegistry(10, 10);
    r.setRooms(sub(1), ['roomA'], 'ip1');
    r.setRooms(sub(1), ['roomB'], 'ip1');
    expect(r.due('room', 'roomA', 0, 1)).toHaveLength(0);
    expect(r.due('room', 'roomB', 0, 1)).toHaveLength(1);
    expect(r.remove(sub(1).endpoint)).toBe(true);
    expect(r.due('room', 'roomB', 10, 1)).toHaveLength(0);
    expect(r.size).toBe(0);
  });

  it('holds at most its cap (oldest first) and an address to its share', () => {
    const r = new PushRegistry(3, 2);
    expect(r.setRooms(sub(1), ['x'], 'ip1')).toBe(true);
    expect(r.setRooms(sub(2), ['x'], 'ip1')).toBe(true);
    expect(r.setRooms(sub(3), ['x'], 'ip1')).toBe(false);
    // Updating a held subscription is not a new one.
    expect(r.setRooms(sub(2), ['y'], 'ip1')).toBe(true);
    expect(r.setRooms(sub(4), ['x'], 'ip2')).toBe(true);
    expect(r.setRooms(sub(5), ['x'], 'ip3')).toBe(true);
    expect(r.size).toBe(3);
    // sub(1) was the least recently used: it went, and gave ip1 its share back.
    expect(r.due('room', 'x', 0, 1).map((s) => s.endpoint)).toEqual([sub(4).endpoint, sub(5).endpoint]);
    const roomy = new PushRegistry(10, 2);
    roomy.setRooms(sub(1), ['x'], 'ip1');
    roomy.setDm(sub(2), 'bob', 'ip1');
    expect(roomy.setRooms(sub(3), ['x'], 'ip1')).toBe(false);
    expect(roomy.setRooms(sub(3), ['x'], 'ip2')).toBe(true);
    roomy.remove(sub(1).endpoint);
    expect(roomy.setDm(sub(4), 'carol', 'ip1')).toBe(true);
  });
});
