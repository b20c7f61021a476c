import { useState } from 'react';
import { signOut, unlock, useIdentity } from '../session.js';
import { WrongPassphraseError } from '../vault.js';

/** The unlock prompt for a passphrase-protected identity (once per page load). */
export function UnlockForm(props: { onDone: () => void }) {
  const handle = useIdentity((s) => s.vault?.handle);
  const [pass, setPass] = useState('');
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirmForget, setConfirmForget] = useState(false);
  return (
    <div>
      <form
        className="id-form"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          unlock(pass)
            .then(props.onDone, (x: unknown) =>
              setErr(
                x instanceof WrongPassphraseError
                  ? 'Wrong passphrase. Try again.'
                  : x instanceof Error
                    ? x.message
                    : String(x),
              ),
            )
            .finally(() => setBusy(false));
        }}
      >
        <p>
          <strong>@{handle}</strong> is protected with a passphrase on this device.
        </p>
        <label htmlFor="unlock-pass">Passphrase</label>
        <input
          id="unlock-pass"
          type="password"
          autoComplete="current-password"
          autoFocus
          value={pass}
          aria-invalid={err ? true : undefined}
          aria-describedby="unlock-err"
          onChange={(e) => {
            setPass(e.target.value);
            setErr(null);
          }}
        />
        <p id="unlock-err" className="field-error" role="alert">
          {err}
        </p>
        <div className="row-end">
          <button type="button" className="btn" onClick={props.onDone}>
            Not now
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy || !pass}>
            {busy ? 'Unlocking…' : 'Unlock'}
          </button>
        </div>
      </form>
      <div className="settings-section">
        {!confirmForget ? (
          <button type="button" className="link-btn small" onClick={() => setConfirmForget(true)}>
            Forgot the passphrase?
          </button>
        ) : (
          <div className="confirm-box" role="group" aria-label="Confirm forgetting the protected identity">
            <p>
              Without the passphrase the keys cannot be recovered. You can import a backup file, or remove the
              protected identity from this device.
            </p>
            <div className="row-end">
              <button type="button" className="btn" onClick={() => setConfirmForget(false)}>
                Keep it
              </button>
              <button type="button" className="btn btn-danger" onClick={() => (signOut(), props.onDone())}>
                Remove from this device
              </button>
            </div>
          </div>
        )}
      </div>
    </div>
  );
}
