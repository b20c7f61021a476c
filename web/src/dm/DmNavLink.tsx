/** The "Messages" link with the unread DM count, in every page's header. */
import { useEffect } from 'react';
import { onLinkClick } from '../router.js';
import { useIdentity } from '../identity/session.js';
import { markAllRead, unreadCount, useInboxState } from './inboxWatch.js';
import { Icon } from '../components/Icon.js';

export function DmNavLink(props: { compact?: boolean }) {
  const signedIn = useIdentity((s) => s.identity !== null);
  const unread = useInboxState(unreadCount);
  if (props.compact && !signedIn) return null;
  const label = unread > 0 ? `Messages, ${unread} unread` : 'Messages';
  return (
    <a
      href="/dm"
      onClick={onLinkClick}
      className={props.compact ? 'btn btn-bar has-badge dm-link' : 'dm-link'}
      aria-label={label}
      data-testid="dm-link"
    >
      {props.compact ? <Icon name="mail" /> : 'Messages'}
      {props.compact && <span className="bar-label">Messages</span>}
      {unread > 0 && (
        <span className="unread-count" data-testid="dm-unread" aria-hidden="true">
          {unread > 99 ? '99+' : unread}
        </span>
      )}
    </a>
  );
}

/** While the DM page is open and visible, what it shows counts as read. */
export function useMarkDmsRead(): void {
  const items = useInboxState((s) => s.items);
  useEffect(() => {
    const mark = () => {
      if (document.visibilityState === 'visible') markAllRead();
    };
    mark();
    document.addEventListener('visibilitychange', mark);
    return () => document.removeEventListener('visibilitychange', mark);
  }, [items]);
}
