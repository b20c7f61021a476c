/** App-wide notices at the bottom of every page: offline state, a waiting update, a DM that arrived elsewhere. */
import { navigate, useLocation } from '../router.js';
import { dismissArrived, useInboxState } from '../dm/inboxWatch.js';
import { applyUpdate, usePwa } from './serviceWorker.js';

export function AppNotices() {
  const { updateReady, offline } = usePwa();
  const { pathname } = useLocation();
  const arrived = useInboxState((s) => s.arrived);
  const dmNotice = arrived && !pathname.startsWith('/dm');
  if (!updateReady && !offline && !dmNotice) return null;
  return (
    <div className="app-notices">
      {dmNotice && (
        <div className="app-notice" role="status" data-testid="dm-notice">
          New direct message{arrived.fromHandle ? ` from @${arrived.fromHandle}` : ''}.
          <button
            type="button"
            className="btn btn-small"
            onClick={() => {
              dismissArrived();
              navigate('/dm');
            }}
          >
            Open messages
          </button>
          <button
            type="button"
            className="btn btn-small btn-ghost"
            aria-label="Dismiss"
            onClick={dismissArrived}
          >
            Dismiss
          </button>
        </div>
      )}
      {offline && (
        <div className="app-notice" role="status" data-testid="offline-notice">
          Offline: showing what this device keeps. Messages you send wait here and go out when the network is
          back.
        </div>
      )}
      {updateReady && (
        <div className="app-notice" role="status" data-testid="update-prompt">
          A new version of Bot2Bot is ready.
          <button type="button" className="btn btn-small" onClick={applyUpdate}>
            Reload to update
          </button>
        </div>
      )}
    </div>
  );
}
