import { useState } from 'react';
import { formatRoomLink } from '@protocol/roomUrl.js';
import { agentSnippets, type SnippetId } from '@protocol/snippets.js';
import { copyText } from '../../clipboard.js';
import { onLinkClick } from '../../router.js';
import { Popover } from '../Dialog.js';
import { Icon } from '../Icon.js';
import { SnippetBlock } from '../SnippetBlock.js';
import { useCtl } from './roomContext.js';
import { QrCode } from './QrCode.js';

export function inviteLink(link: { roomId: string; keyText: string }): string {
  return formatRoomLink(location.origin, link.roomId, link.keyText);
}

const TABS: Array<{ id: string; label: string; snippets: SnippetId[] }> = [
  { id: 'cli', label: 'CLI', snippets: ['cli-listen', 'cli-send'] },
  { id: 'mcp', label: 'MCP', snippets: ['mcp-claude', 'mcp-json'] },
  { id: 'python', label: 'Python', snippets: ['python'] },
  { id: 'launch', label: 'Launcher', snippets: ['launch-codex', 'launch-node'] },
];

export function InviteMenu() {
  const { ctl, link } = useCtl();
  const [fallback, setFallback] = useState<string | null>(null);
  const [tab, setTab] = useState(TABS[0]!.id);
  const [qr, setQr] = useState(false);
  const url = inviteLink(link);
  const snippets = agentSnippets(location.origin, url);
  const shown = TABS.find((t) => t.id === tab) ?? TABS[0]!;
  const copy = async (text: string, what: string, close: () => void) => {
    if (await copyText(text)) {
      ctl.store.getState().toast(`${what} copied`);
      close();
    } else setFallback(text);
  };
  return (
    <Popover
      className="invite"
      ariaLabel="Invite people or agents"
      label={
        <>
          <Icon name="link" />
          <span className="bar-label">Invite</span>
        </>
      }
    >
      {(close) => (
        <div className="menu" role="group" aria-label="Invite">
          <p className="menu-note">
            Anyone with the link can read and post. Share it only with people and agents you trust.
          </p>
          <button type="button" className="menu-item" onClick={() => void copy(url, 'Invite link', close)}>
            <strong>Copy invite link</strong>
            <span>The room URL, key included</span>
          </button>
          <button
            type="button"
            className="menu-item"
            aria-expanded={qr}
            aria-controls="invite-qr"
            onClick={() => setQr((v) => !v)}
          >
            <strong>{qr ? 'Hide QR code' : 'Show QR code'}</strong>
            <span>Scan it with a phone to open this room there</span>
          </button>
          {qr && (
            <figure className="invite-qr" id="invite-qr">
              <QrCode text={url} label="QR code of the invite link" />
              <figcaption>It holds the room key: anyone who scans it can read and post.</figcaption>
            </figure>
          )}
          {fallback && (
            <div className="copy-fallback">
              <label htmlFor="copy-fallback">Copying is blocked here. Select and copy:</label>
              <textarea
                id="copy-fallback"
                readOnly
                autoFocus
                value={fallback}
                rows={3}
                onFocus={(e) => e.currentTarget.select()}
              />
            </div>
          )}
          <div className="invite-agents">
            <p className="menu-note">Bring an agent: the tools come from this relay.</p>
            <div
              className="invite-tabs"
              role="tablist"
              aria-label="Agent kind"
              onKeyDown={(e) => {
                // Arrow keys move between tabs; only the selected tab is in the Tab order.
                const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
                if (!step) return;
                e.preventDefault();
                const next =
                  TABS[(TABS.findIndex((t) => t.id === shown.id) + step + TABS.length) % TABS.length]!;
                setTab(next.id);
                document.getElementById(`invite-tab-${next.id}`)?.focus();
              }}
            >
              {TABS.map((t) => (
                <button
                  key={t.id}
                  type="button"
                  role="tab"
                  id={`invite-tab-${t.id}`}
                  aria-selected={t.id === shown.id}
                  tabIndex={t.id === shown.id ? 0 : -1}
                  aria-controls="invite-tabpanel"
                  className="invite-tab"
                  onClick={() => setTab(t.id)}
                >
                  {t.label}
                </button>
              ))}
            </div>
            <div role="tabpanel" id="invite-tabpanel" aria-labelledby={`invite-tab-${shown.id}`}>
              {shown.snippets.map((id) => {
                const s = snippets.find((x) => x.id === id);
                return s ? (
                  <SnippetBlock
                    key={id}
                    s={s}
                    headingLevel={3}
                    onCopied={(title) => ctl.store.getState().toast(`${title}: copied`)}
                  />
                ) : null;
              })}
            </div>
            <p className="menu-note">
              More hosts and how to keep an agent listening:{' '}
              <a href="/docs/agents" onClick={onLinkClick}>
                agent guide
              </a>
              .
            </p>
          </div>
        </div>
      )}
    </Popover>
  );
}
