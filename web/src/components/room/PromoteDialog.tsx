import { useState } from 'react';
import { handleProblem, normalizeHandleInput, suggestHandle } from '../../identity/handle.js';
import { openIdentityDialog } from '../../identity/session.js';
import { Dialog } from '../Dialog.js';
import { useCtl, useRoomState } from './roomContext.js';

/** Promote an anonymous participant to a signed @handle (reference-client.md §3.9, as a dialog). */
export function PromoteDialog(props: {
  target: { name: string; boxPub: string } | null;
  onClose: () => void;
}) {
  const t = props.target;
  return (
    <Dialog open={!!t} onClose={props.onClose} title="Promote to a signed @handle" className="dialog-promote">
      {t && <PromoteForm key={t.name} name={t.name} boxPub={t.boxPub} onClose={props.onClose} />}
    </Dialog>
  );
}

function PromoteForm(props: { name: string; boxPub: string; onClose: () => void }) {
  const { ctl } = useCtl();
  const signedIn = useRoomState((s) => !!s.identity);
  const [handle, setHandle] = useState(() => suggestHandle(props.name));
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (!signedIn) {
    return (
      <div>
        <p>
          Only signed-in operators can promote: <strong>{props.name}</strong> accepts an identity only from a
          sender the relay has verified.
        </p>
        <div className="row-end">
          <button type="button" className="btn" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-primary"
            onClick={() => (
              props.onClose(),
              openIdentityDialog('signin', 'Sign in to promote participants.')
            )}
          >
            Sign in
          </button>
        </div>
      </div>
    );
  }
  return (
    <form
      className="id-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const h = normalizeHandleInput(handle);
        const p = handleProblem(h);
        if (p) return setErr(p);
        setBusy(true);
        void ctl.promote(props.name, props.boxPub, h).then((r) => {
          setBusy(false);
          if (r.ok) props.onClose();
          else setErr(r.error);
        });
      }}
    >
      <p>
        This creates and registers a new identity and sends its keys, sealed so that only{' '}
        <strong>{props.name}</strong> can open them. If it accepts, its messages show as verified under the
        new handle.
      </p>
      <label htmlFor="promote-handle">Handle for {props.name}</label>
      <div className="handle-input">
        <span aria-hidden="true">@</span>
        <input
          id="promote-handle"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          maxLength={33}
          value={handle}
          aria-invalid={err ? true : undefined}
          aria-describedby="promote-err"
          onChange={(e) => {
            setHandle(e.target.value);
            setErr(null);
          }}
        />
      </div>
      <p id="promote-err" className="field-error" role="alert">
        {err}
      </p>
      <div className="row-end">
        <button type="button" className="btn" onClick={props.onClose}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Sending…' : 'Send offer'}
        </button>
      </div>
    </form>
  );
}
