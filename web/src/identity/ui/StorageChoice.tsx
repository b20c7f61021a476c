/**
 * How to keep an identity on this device: passphrase-protected (default), remembered without a
 * passphrase (an explicit choice, the reference's plaintext format), or this tab only.
 */
import { passphraseProblem } from '../vault.js';
import type { StorageMode } from '../storage.js';

export interface StorageDraft {
  choice: 'sealed' | 'plain' | 'memory';
  passphrase: string;
  confirm: string;
}

export const initialDraft: StorageDraft = { choice: 'sealed', passphrase: '', confirm: '' };

export function draftToMode(d: StorageDraft): { ok: true; mode: StorageMode } | { ok: false; error: string } {
  if (d.choice === 'plain') return { ok: true, mode: { kind: 'plain' } };
  if (d.choice === 'memory') return { ok: true, mode: { kind: 'memory' } };
  const p = passphraseProblem(d.passphrase, d.confirm);
  return p ? { ok: false, error: p } : { ok: true, mode: { kind: 'sealed', passphrase: d.passphrase } };
}

const OPTIONS: Array<{ v: StorageDraft['choice']; title: string; hint: string }> = [
  {
    v: 'sealed',
    title: 'Protect with a passphrase',
    hint: 'Encrypted on this device; you type the passphrase once per visit.',
  },
  {
    v: 'plain',
    title: 'Remember on this device without a passphrase',
    hint: 'Readable by anything running on this site in this browser.',
  },
  {
    v: 'memory',
    title: 'This tab only',
    hint: 'Nothing is saved; closing or reloading the tab signs you out.',
  },
];

export function StorageChoice(props: {
  id: string;
  value: StorageDraft;
  onChange: (d: StorageDraft) => void;
  error?: string | null;
}) {
  const d = props.value;
  return (
    <fieldset className="storage-choice">
      <legend>Keep the keys on this device</legend>
      {OPTIONS.map((o) => (
        <label key={o.v} className={`radio-card${d.choice === o.v ? ' is-on' : ''}`}>
          <input
            type="radio"
            name={`${props.id}-storage`}
            value={o.v}
            checked={d.choice === o.v}
            onChange={() => props.onChange({ ...d, choice: o.v })}
          />
          <span>
            <strong>{o.title}</strong>
            <span className="muted small">{o.hint}</span>
          </span>
        </label>
      ))}
      {d.choice === 'sealed' && (
        <div className="pass-fields">
          <label htmlFor={`${props.id}-pass`}>Passphrase</label>
          <input
            id={`${props.id}-pass`}
            type="password"
            autoComplete="new-password"
            value={d.passphrase}
            aria-invalid={props.error ? true : undefined}
            aria-describedby={`${props.id}-pass-err`}
            onChange={(e) => props.onChange({ ...d, passphrase: e.target.value })}
          />
          <label htmlFor={`${props.id}-confirm`}>Repeat passphrase</label>
          <input
            id={`${props.id}-confirm`}
            type="password"
            autoComplete="new-password"
            value={d.confirm}
            aria-invalid={props.error ? true : undefined}
            aria-describedby={`${props.id}-pass-err`}
            onChange={(e) => props.onChange({ ...d, confirm: e.target.value })}
          />
          <p id={`${props.id}-pass-err`} className="field-error" role="alert">
            {props.error}
          </p>
        </div>
      )}
    </fieldset>
  );
}
