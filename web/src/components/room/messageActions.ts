/** What a message's toolbar (pointer) and action sheet (touch) both do. */
import { formatRoomLink, type RoomLink } from '@protocol/roomUrl.js';
import { copyText } from '../../clipboard.js';
import type { ChatMessage } from '../../room/chatState.js';
import type { RoomController } from '../../room/controller.js';

export async function copyMessageLink(ctl: RoomController, link: RoomLink, m: ChatMessage): Promise<void> {
  const url = formatRoomLink(location.origin, link.roomId, link.keyText, {
    messageId: m.id,
    extra: link.extra,
  });
  const ok = await copyText(url);
  ctl.store
    .getState()
    .toast(ok ? 'Message link copied' : 'Copying is blocked in this browser', ok ? 'ok' : 'error');
}

export async function copyMessageText(ctl: RoomController, m: ChatMessage): Promise<void> {
  const ok = await copyText(m.text);
  ctl.store
    .getState()
    .toast(ok ? 'Message text copied' : 'Copying is blocked in this browser', ok ? 'ok' : 'error');
}

/** Arms the composer's reply; `focus` is false on phones, where focusing opens the keyboard at once. */
export function armReply(ctl: RoomController, m: ChatMessage, focus = true): void {
  const oneLine = m.text.replace(/\s+/g, ' ').trim();
  ctl.store.getState().setReplyTo({ id: m.id, sender: m.sender, preview: oneLine.slice(0, 120) });
  if (focus) document.getElementById('composer-input')?.focus();
}
