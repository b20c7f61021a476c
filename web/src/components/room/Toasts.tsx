import { useEffect } from 'react';
import { useCtl, useRoomState } from './roomContext.js';

export function Toasts() {
  const toasts = useRoomState((s) => s.toasts);
  const { ctl } = useCtl();
  useEffect(() => {
    if (!toasts.length) return;
    const t = setTimeout(
      () => ctl.store.getState().dismissToast(toasts[0]!.id),
      toasts[0]!.tone === 'error' ? 6000 : 3000,
    );
    return () => clearTimeout(t);
  }, [toasts, ctl]);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.tone}`}>
          <span className="toast-dot" aria-hidden="true" />
          <span>{t.text}</span>
          <button
            type="button"
            className="icon-btn toast-close"
            aria-label="Dismiss notification"
            onClick={() => ctl.store.getState().dismissToast(t.id)}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
