import { useState } from 'react';
import { newIdentity, type Identity } from '@protocol/identity.js';
import { registerIdentity } from '../api.js';
import { handleProblem, normalizeHandleInput } from '../handle.js';
import { adoptIdentity } from '../session.js';
import { StorageChoice, draftToMode, initialDraft } from './StorageChoice.js';

/** Create fresh keys, register the handle, and only then keep them (reference-client.md §6.3). */
export function CreateForm(props: { onDone: (id: Identity) => void }) {
  const [handle, setHandle] = useState('');
  const [draft, setDraft] = useState(initialDraft);
  const [handleErr, setHandleErr] = useState<string | null>(null);
  const [passErr, setPassErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const h = normalizeHandleInput(handle);
    const hp = handleProblem(h);
    setHandleErr(hp);
    const m = draftToMode(draft);
    setPassErr(m.ok ? null : m.error);
    if (hp || !m.ok) return;
    setBusy(true);
    try {
      const id = newIdentity(h);
      const r = await registerIdentity(id);
      if (!r.ok) {
        setHandleErr(r.message);
        return;
      }
      await adoptIdentity(id, m.mode);
      props.onDone(id);
    } catch (err) {
      setHandleErr(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="id-form" onSubmit={(e) => void submit(e)} noValidate>
      <label htmlFor="create-handle">Choose a handle</label>
      <div className="handle-input">
        <span aria-hidden="true">@</span>
        <input
          id="create-handle"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          inputMode="text"
          maxLength={33}
          placeholder="your-name"
          value={handle}
          aria-invalid={handleErr ? true : undefined}
          aria-describedby="create-handle-hint create-handle-err"
          onChange={(e) => {
            setHandle(e.target.value);
            setHandleErr(null);
          }}
        />
      </div>
      <p id="create-handle-hint" className="muted small">
        2–32 characters: a–z, 0–9, _ and -, starting with a letter or digit. Everyone sees it next to your
        signed messages.
      </p>
      <p id="create-handle-err" className="field-error" role="alert">
        {handleErr}
      </p>
      <StorageChoice
        id="create"
        value={draft}
        onChange={(d) => (setDraft(d), setPassErr(null))}
        error={passErr}
      />
      <div className="row-end">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Registering…' : 'Create and register'}
        </button>
      </div>
    </form>
  );
}
