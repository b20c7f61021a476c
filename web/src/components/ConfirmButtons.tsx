import type { ReactNode } from 'react';

/**
 * The "Cancel · <action>" row that ends every confirmation (delete, forget, sign out, lock), so
 * they look and behave alike. `before` holds extra buttons placed ahead of Cancel.
 */
export function ConfirmButtons(props: {
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  tone?: 'danger' | 'primary';
  /** Focus Cancel when a dialog opens, so Enter never confirms by accident. */
  focusCancel?: boolean;
  before?: ReactNode;
}) {
  return (
    <div className={props.before ? 'row-end wrap' : 'row-end'}>
      {props.before}
      <button
        type="button"
        className="btn"
        data-autofocus={props.focusCancel || undefined}
        onClick={props.onCancel}
      >
        Cancel
      </button>
      <button type="button" className={`btn btn-${props.tone ?? 'danger'}`} onClick={props.onConfirm}>
        {props.confirmLabel}
      </button>
    </div>
  );
}
