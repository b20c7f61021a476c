import { useEffect, useRef, useState } from 'react';
import { useKeepInViewport } from '../ui/useKeepInViewport.js';

/**
 * A modal built on <dialog>: the browser traps focus, Escape closes, and focus returns to the
 * element that opened it. Replaces the reference's prompt/confirm/alert everywhere.
 */
export function Dialog(props: {
  open: boolean;
  onClose: () => void;
  title: string;
  children: React.ReactNode;
  className?: string;
  describedBy?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<Element | null>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) {
      opener.current = document.activeElement;
      d.showModal();
      // showModal focuses the first focusable element, which is the header's close button.
      // People came to fill the form or make the choice, so start there instead.
      firstFocus(d)?.focus();
    } else if (!props.open && d.open) {
      d.close();
    }
  }, [props.open]);
  useEffect(() => {
    const d = ref.current;
    return () => {
      if (d?.open) d.close();
    };
  }, []);
  const titleId = `dlg-${props.title.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <dialog
      ref={ref}
      className={`dialog ${props.className ?? ''}`}
      aria-labelledby={titleId}
      aria-describedby={props.describedBy}
      onClose={() => {
        // The close event is queued: if the dialog was reopened since (Ctrl+K right after a
        // search jump), this one is stale and must not shut the new one.
        if (ref.current?.open) return;
        props.onClose();
        // Give focus back to the opener unless the dialog's action already moved it (a search
        // hit focuses the message it jumped to); never scroll for it.
        const o = opener.current;
        const now = document.activeElement;
        const free = !now || now === document.body || ref.current?.contains(now);
        if (free && o instanceof HTMLElement && o.isConnected) o.focus({ preventScroll: true });
      }}
      onClick={(e) => {
        // A click on the backdrop (the dialog element itself) closes it.
        if (e.target === ref.current) ref.current?.close();
      }}
    >
      {props.open && (
        <div className="dialog-body">
          <div className="dialog-head">
            <h2 id={titleId}>{props.title}</h2>
            <button
              type="button"
              className="icon-btn"
              aria-label="Close"
              onClick={() => ref.current?.close()}
            >
              ×
            </button>
          </div>
          {props.children}
        </div>
      )}
    </dialog>
  );
}

const FIELD = 'input:not([type=hidden]):not([disabled]), textarea:not([disabled]), select:not([disabled])';
const ACTION = 'button:not([disabled]), a[href], [tabindex]:not([tabindex="-1"])';

/** `data-autofocus` wins; then the first field; then the first action outside the header. */
function firstFocus(d: HTMLDialogElement): HTMLElement | null {
  const body = [...d.querySelectorAll<HTMLElement>('.dialog-body > :not(.dialog-head)')];
  const pick = (sel: string) => {
    for (const el of body) {
      const hit = el.matches(sel) ? el : el.querySelector<HTMLElement>(sel);
      if (hit) return hit;
    }
    return null;
  };
  return d.querySelector<HTMLElement>('[data-autofocus]') ?? pick(FIELD) ?? pick(ACTION);
}

/**
 * A button-anchored menu that closes on Escape or an outside click and restores focus. It is
 * nudged inside the viewport on wide screens and docked as a bottom sheet on phones.
 */
export function Popover(props: {
  label: React.ReactNode;
  ariaLabel: string;
  className?: string;
  children: (close: () => void) => React.ReactNode;
  align?: 'left' | 'right';
}) {
  const [open, setOpen] = useState(false);
  const wrap = useRef<HTMLDivElement>(null);
  const btn = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);
  useKeepInViewport(panel, { active: open, sheetOnPhone: true });
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      const t = e.target as Node;
      if (!panel.current?.contains(t) && !btn.current?.contains(t)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setOpen(false);
        btn.current?.focus();
      }
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    const first = wrap.current?.querySelector<HTMLElement>('.popover-panel button, .popover-panel input');
    first?.focus();
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [open, setOpen]);
  const close = () => {
    setOpen(false);
    btn.current?.focus();
  };
  return (
    <div className={`popover ${props.className ?? ''}`} ref={wrap}>
      <button
        ref={btn}
        type="button"
        className="btn btn-bar"
        aria-label={props.ariaLabel}
        aria-expanded={open}
        aria-haspopup="true"
        onClick={() => setOpen(!open)}
      >
        {props.label}
      </button>
      {open && (
        <>
          <div className="sheet-backdrop" aria-hidden="true" />
          <div ref={panel} className={`popover-panel align-${props.align ?? 'right'}`}>
            {props.children(close)}
          </div>
        </>
      )}
    </div>
  );
}
