import { useRef, useState } from 'react';
import { encodeBase64 } from '@protocol/base64.js';
import type { Identity } from '@protocol/identity.js';
import { lookupHandle, registerIdentity } from '../api.js';
import { readSmallFile } from '../files.js';
import { adoptIdentity } from '../session.js';
import { parseImport } from '../storage.js';
import { StorageChoice, draftToMode, initialDraft } from './StorageChoice.js';

/**
 * Import an exported identity: parsed and checked completely (and against the relay) before a
 * single byte is stored. A bad file shows why and leaves the current identity exactly as it was.
 */
export function ImportForm(props: { onDone: (id: Identity) => void; replacing?: string | undefined }) {
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [draft, setDraft] = useState(initialDraft);
  const [passErr, setPassErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const fileRef = useRef<HTMLInputElement>(null);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const parsed = parseImport(text);
    if (!parsed.ok) {
      setErr(parsed.error);
      return;
    }
    const m = draftToMode(draft);
    if (!m.ok) {
      setPassErr(m.error);
      return;
    }
    setBusy(true);
    try {
      const id = parsed.value;
      const reg = await registerIdentity(id);
      if (!reg.ok && reg.status !== 409) {
        setErr(reg.message);
        return;
      }
      if (!reg.ok) {
        const who = await lookupHandle(id.handle);
        if (who.kind === 'found' && who.identity.sign_pub !== encodeBase64(id.signPublicKey)) {
          setErr(
            `This file's key does not match @${id.handle} on this relay: the handle belongs to another key. Nothing was changed.`,
          );
          return;
        }
        if (who.kind !== 'found') {
          setErr(`@${id.handle} could not be registered: ${reg.message}`);
          return;
        }
      }
      await adoptIdentity(id, m.mode);
      props.onDone(id);
    } catch (e2) {
      setErr(e2 instanceof Error ? e2.message : String(e2));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="id-form" onSubmit={(e) => void submit(e)} noValidate>
      {props.replacing && (
        <p className="banner banner-warn">
          Importing replaces @{props.replacing} on this device. Export it first if you want to keep it.
        </p>
      )}
      <div className="file-row">
        <input
          ref={fileRef}
          id="import-file"
          className="sr-only"
          type="file"
          accept="application/json,.json"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (!f) return;
            setErr(null);
            setFileName(f.name);
            readSmallFile(f).then(setText, (x: unknown) =>
              setErr(x instanceof Error ? x.message : String(x)),
            );
            e.target.value = '';
          }}
        />
        <button type="button" className="btn" onClick={() => fileRef.current?.click()}>
          Choose a file…
        </button>
        <span className="muted small" aria-live="polite">
          {fileName ? `Loaded ${fileName}` : 'or paste the JSON below'}
        </span>
      </div>
      <label htmlFor="import-text">Identity JSON</label>
      <textarea
        id="import-text"
        className="import-text mono"
        rows={5}
        spellCheck={false}
        placeholder='{"bot2bot_identity_v1": true, "handle": "…", …}'
        value={text}
        aria-invalid={err ? true : undefined}
        aria-describedby="import-err"
        onChange={(e) => {
          setText(e.target.value);
          setErr(null);
        }}
      />
      <p id="import-err" className="field-error" role="alert">
        {err}
      </p>
      <StorageChoice
        id="import"
        value={draft}
        onChange={(d) => (setDraft(d), setPassErr(null))}
        error={passErr}
      />
      <div className="row-end">
        <button type="submit" className="btn btn-primary" disabled={busy || !text.trim()}>
          {busy ? 'Checking…' : 'Import identity'}
        </button>
      </div>
    </form>
  );
}
