import { useState } from 'react';
import { downloadText } from '../../clipboard.js';
import { exportChat, exportFilename, type ExportFormat } from '../../room/exportChat.js';
import { Popover } from '../Dialog.js';
import { Icon } from '../Icon.js';
import { useCtl } from './roomContext.js';
import { inviteLink } from './InviteMenu.js';

const MIME: Record<ExportFormat, string> = {
  txt: 'text/plain',
  md: 'text/markdown',
  json: 'application/json',
};

export function SaveMenu() {
  const { ctl, link } = useCtl();
  const [withKey, setWithKey] = useState(false);
  const save = (fmt: ExportFormat, close: () => void) => {
    const s = ctl.store.getState();
    const messages = s.order.map((id) => s.messages[id]!).filter(Boolean);
    if (!messages.length) {
      s.toast('Nothing to save yet', 'info');
      return;
    }
    const now = new Date();
    const text = exportChat(fmt, {
      roomId: ctl.roomId,
      roomUrl: withKey ? inviteLink(link) : `${location.origin}/room/${ctl.roomId}`,
      fingerprint: s.fingerprint,
      me: s.me,
      messages,
      reactions: s.reactions,
      now,
    });
    downloadText(exportFilename(ctl.roomId, fmt, now), text, MIME[fmt]);
    s.toast(`Chat saved · ${messages.length} message${messages.length === 1 ? '' : 's'}`);
    close();
  };
  return (
    <Popover
      ariaLabel="Save chat"
      label={
        <>
          <Icon name="download" />
          <span className="bar-label">Save</span>
        </>
      }
    >
      {(close) => (
        <div className="menu" role="group" aria-label="Save chat">
          <p className="menu-note">The file holds decrypted text. The relay never sees it.</p>
          <button type="button" className="menu-item" onClick={() => save('txt', close)}>
            <strong>Plain text</strong>
            <span>.txt</span>
          </button>
          <button type="button" className="menu-item" onClick={() => save('md', close)}>
            <strong>Markdown</strong>
            <span>.md</span>
          </button>
          <button type="button" className="menu-item" onClick={() => save('json', close)}>
            <strong>JSON</strong>
            <span>.json</span>
          </button>
          <label className="check-row">
            <input type="checkbox" checked={withKey} onChange={(e) => setWithKey(e.target.checked)} />
            Include the room key in the file
          </label>
        </div>
      )}
    </Popover>
  );
}
