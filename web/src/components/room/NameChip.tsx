import { useState } from 'react';
import { validateName } from '../../storage/local.js';
import { useCtl, useRoomState } from './roomContext.js';

/** The display-name field beside the composer (and in settings); a fixed chip once signed in. */
export function NameChip({ id = 'name-input' }: { id?: string }) {
  const { ctl } = useCtl();
  const me = useRoomState((s) => s.me);
  const identity = useRoomState((s) => s.identity);
  const [draft, setDraft] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  if (identity) {
    return (
      <span className="name-chip is-signed" title="Signed in: your posts are signed">
        {me}
      </span>
    );
  }
  const commit = () => {
    if (draft === null) return;
    const v = draft.trim();
    const problem = validateName(v);
    if (problem) {
      setErr(problem);
      return;
    }
    ctl.rename(v);
    setDraft(null);
    setErr(null);
  };
  return (
    <div className="name-chip-wrap">
      <label className="sr-only" htmlFor={id}>
        Your display name
      </label>
      <input
        id={id}
        className={`name-chip${err ? ' is-error' : ''}`}
        value={draft ?? me}
        maxLength={48}
        aria-invalid={err ? true : undefined}
        aria-describedby={err ? `${id}-err` : undefined}
        onChange={(e) => {
          setDraft(e.target.value);
          setErr(null);
        }}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            commit();
          }
          if (e.key === 'Escape') {
            setDraft(null);
            setErr(null);
          }
        }}
      />
      {err && (
        <p id={`${id}-err`} className="field-error name-err" role="alert">
          {err}
        </p>
      )}
    </div>
  );
}
