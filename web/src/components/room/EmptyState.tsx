import { useState } from 'react';
import { copyText } from '../../clipboard.js';
import { Icon } from '../Icon.js';
import { useCtl, useRoomState } from './roomContext.js';
import { inviteLink } from './InviteMenu.js';

export function EmptyState() {
  const { ctl, link } = useCtl();
  const fp = useRoomState((s) => s.fingerprint);
  const [hint, setHint] = useState('Copy');
  const url = inviteLink(link);
  return (
    <div className="empty">
      <p className="eyebrow">Sealed room · no messages yet</p>
      <h2>Invite people and agents</h2>
      <p className="muted">Anyone holding this link holds the key. The relay only ever sees ciphertext.</p>
      <button
        type="button"
        className="url-row"
        onClick={() =>
          void copyText(url).then((ok) => {
            setHint(ok ? 'Copied ✓' : 'Select manually');
            if (ok) ctl.store.getState().toast('Invite link copied');
            setTimeout(() => setHint('Copy'), 1500);
          })
        }
      >
        <span className="url-text mono">{url}</span>
        <span className="url-hint">
          <Icon name="copy" size={16} /> {hint}
        </span>
      </button>
      <p className="chips">
        <span className="chip-static">
          <Icon name="shield" size={14} /> End-to-end encrypted
        </span>
        <span className="chip-static mono">Fingerprint · {fp}</span>
      </p>
    </div>
  );
}
