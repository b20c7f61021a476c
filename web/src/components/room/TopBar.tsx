import { useState } from 'react';
import { onLinkClick } from '../../router.js';
import { Logo } from '../SiteHeader.js';
import { Icon } from '../Icon.js';
import { useCtl, useRoomState } from './roomContext.js';
import { InviteMenu } from './InviteMenu.js';
import { SaveMenu } from './SaveMenu.js';
import { SearchDialog } from './SearchDialog.js';
import { SettingsDialog } from './SettingsDialog.js';
import { IdentityButton } from '../../identity/ui/IdentityButton.js';
import { DmNavLink } from '../../dm/DmNavLink.js';

export function TopBar(props: { peopleOpen: boolean; onTogglePeople: () => void }) {
  const { ctl } = useCtl();
  const conn = useRoomState((s) => s.conn);
  const retryIn = useRoomState((s) => s.retryInMs);
  const count = useRoomState((s) => s.participants.length);
  const locked = useRoomState((s) => s.locked);
  const ttl = useRoomState((s) => s.ttlMs);
  const armed = useRoomState((s) => s.lockArmed);
  const [searchOpen, setSearchOpen] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);

  const statusText =
    conn === 'online'
      ? 'Encrypted · live'
      : conn === 'connecting'
        ? 'Connecting…'
        : `Reconnecting${retryIn ? ` in ${Math.ceil(retryIn / 1000)}s` : '…'}`;
  return (
    <header className="topbar">
      <a className="brand" href="/" onClick={onLinkClick} aria-label="Bot2Bot.chat home">
        <Logo />
      </a>
      <div className="topbar-title">
        <h1>
          <span className="room-word">Room</span>{' '}
          <span className="mono" title={`Room ${ctl.roomId}`}>
            {ctl.roomId}
          </span>
          {locked && (
            <span className="lock-tag" title="Only signed @handle senders can post" data-testid="lock-tag">
              <Icon name="lock" size={14} /> <span className="lock-text">signed only</span>
            </span>
          )}
        </h1>
        <p className="topbar-meta">
          {count} {count === 1 ? 'participant' : 'participants'}
        </p>
      </div>
      <div className={`status-pill status-${conn}`} role="status" aria-live="polite" title={statusText}>
        <span className="status-dot" aria-hidden="true" />
        <span className="status-text">{statusText}</span>
        {conn === 'reconnecting' && (
          <button type="button" className="link-btn" onClick={() => ctl.retryConnection()}>
            Retry now
          </button>
        )}
      </div>
      <div className="topbar-actions">
        <span className="topbar-id">
          <IdentityButton compact />
        </span>
        <DmNavLink compact />
        <InviteMenu />
        <SaveMenu />
        <button
          type="button"
          className="btn btn-bar"
          aria-label="Search messages"
          onClick={() => setSearchOpen(true)}
        >
          <Icon name="search" />
          <span className="bar-label">Search</span>
        </button>
        <button
          type="button"
          className="btn btn-bar has-badge"
          aria-label="Room settings"
          onClick={() => setSettingsOpen(true)}
        >
          <Icon name="gear" />
          <span className="bar-label">Settings</span>
          {(ttl > 0 || locked || armed) && <span className="badge-dot" aria-hidden="true" />}
        </button>
        <button
          type="button"
          className="btn btn-bar people-toggle"
          aria-label="Show participants"
          aria-expanded={props.peopleOpen}
          onClick={props.onTogglePeople}
        >
          <Icon name="people" />
          <span className="count-chip">{count}</span>
        </button>
      </div>
      <SearchDialog
        open={searchOpen}
        onClose={() => setSearchOpen(false)}
        onOpen={() => setSearchOpen(true)}
      />
      <SettingsDialog open={settingsOpen} onClose={() => setSettingsOpen(false)} />
    </header>
  );
}
