/** App-wide notices at the bottom of every page: offline state and a waiting update. */
import { applyUpdate, usePwa } from './serviceWorker.js';

export function AppNotices() {
  const { updateReady, offline } = usePwa();
  if (!updateReady && !offline) return null;
  return (
    <div className="app-notices">
      {offline && (
        <div className="app-notice" role="status" data-testid="offline-notice">
          Offline: showing what this device keeps. Messages you send wait here and go out when the network is back.
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
