/**
 * The open room's controller and link, shared by every room component. It lives apart from
 * Room.tsx so that components import the context without importing the page that renders them.
 */
import { createContext, useContext } from 'react';
import type { RoomLink } from '../../../../protocol/roomUrl.js';
import type { RoomController } from '../../room/controller.js';
import { useRoom, type RoomState } from '../../store/roomStore.js';

export interface RoomContextValue {
  ctl: RoomController;
  link: RoomLink;
}

export const RoomContext = createContext<RoomContextValue | null>(null);

export function useCtl(): RoomContextValue {
  const v = useContext(RoomContext);
  if (!v) throw new Error('room context missing');
  return v;
}

export function useRoomState<T>(sel: (s: RoomState) => T): T {
  return useRoom(useCtl().ctl.store, sel);
}
