/** The /dm page's view of the app-wide inbox (dm/inboxWatch.ts). */
import type { Identity } from '@protocol/identity.js';
import { removeDm, useInboxState } from './inboxWatch.js';

export type { InboxStatus } from './inboxWatch.js';

export function useInbox(_identity: Identity | null) {
  const items = useInboxState((s) => s.items);
  const status = useInboxState((s) => s.status);
  const error = useInboxState((s) => s.error);
  return { items, status, error, remove: removeDm };
}
