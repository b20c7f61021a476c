import { describe, expect, it } from 'vitest';
import { newIdentity } from '../../../protocol/identity.js';
import { RoomSettings } from './settings.js';
import { newStore } from './testRoom.js';

describe('room settings', () => {
  it('renames an anonymous sender and says hello; a signed sender keeps the handle', () => {
    const store = newStore('alice');
    let hellos = 0;
    const s = new RoomSettings('ROOM000001', store, () => void hellos++);
    s.rename('alice');
    expect(hellos).toBe(0);
    s.rename('alicia');
    expect(store.getState().me).toBe('alicia');
    expect(hellos).toBe(1);
    store.getState().setIdentity(newIdentity('al'));
    s.rename('other');
    expect(store.getState().me).toBe('@al');
  });

  it('sets the default timer for the next messages', () => {
    const store = newStore();
    new RoomSettings('ROOM000001', store, () => undefined).setTtl(60_000);
    expect(store.getState().ttlMs).toBe(60_000);
  });
});
