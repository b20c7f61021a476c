import { useState } from 'react';
import { ConfirmButtons } from '../../components/ConfirmButtons.js';
import { keyFingerprint } from '@protocol/crypto.js';
import type { Identity } from '@protocol/identity.js';
import { downloadIdentity } from '../files.js';
import { changeProtection, signOut, useIdentity } from '../session.js';
import { ImportForm } from './ImportForm.js';
import { StorageChoice, draftToMode, initialDraft } from './StorageChoice.js';

const PROTECTION_TEXT = {
  sealed: 'Kept on this device, encrypted with your passphrase.',
  plain: 'Kept on this device without a passphrase.',
  memory: 'Kept in this tab only: it is gone when the tab closes.',
} as const;

export function ManagePanel(props: { identity: Identity; onClose: () => void }) {
  const id = props.identity;
  const protection = useIdentity((s) => s.protection);
  const conflict = useIdentity((s) => s.conflict);
  const notice = useIdentity((s) => s.notice);
  const [exported, setExported] = useState(false);
  const [confirmOut, setConfirmOut] = useState(false);
  const [editProt, setEditProt] = useState(false);
  const [draft, setDraft] = useState(initialDraft);
  const [protErr, setProtErr] = useState<string | null>(null);
  const [protMsg, setProtMsg] = useState<string | null>(null);

  const doExport = () => {
    downloadIdentity(id);
    setExported(true);
  };

  return (
    <div className="id-manage">
      <div className="id-card">
        <span className="id-avatar" aria-hidden="true">
          @
        </span>
        <div>
          <p className="id-handle">@{id.handle}</p>
          <p className="muted small">
            Signing key <span className="mono">{keyFingerprint(id.signPublicKey)}</span>
          </p>
        </div>
      </div>
      {conflict && (
        <div className="banner banner-danger" role="alert">
          <strong>This handle now belongs to another key.</strong> The relay has @{id.handle} registered under
          a different signing key, so posts from this device can no longer be signed as @{id.handle}. Export
          these keys for safekeeping, then forget them here.
        </div>
      )}
      {notice && !conflict && (
        <p className="banner banner-warn" role="status">
          {notice}
        </p>
      )}
      <p className="muted small">
        Every message you post is signed; the relay checks it and others see a verified badge.
      </p>

      <section className="settings-section" aria-labelledby="id-backup-h">
        <h3 id="id-backup-h">Backup</h3>
        <p className="muted small">
          The file holds your private keys. Anyone with it can post as @{id.handle}. Store it somewhere safe.
        </p>
        <button type="button" className="btn" onClick={doExport}>
          Download backup (.json)
        </button>
        {exported && (
          <p className="ok-line small" role="status">
            Backup downloaded.
          </p>
        )}
      </section>

      <section className="settings-section" aria-labelledby="id-prot-h">
        <h3 id="id-prot-h">On this device</h3>
        <p className="small">{protection ? PROTECTION_TEXT[protection] : ''}</p>
        {!editProt ? (
          <button type="button" className="btn" onClick={() => setEditProt(true)}>
            {protection === 'sealed' ? 'Change passphrase or storage…' : 'Change how it is kept…'}
          </button>
        ) : (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              const m = draftToMode(draft);
              if (!m.ok) return setProtErr(m.error);
              void changeProtection(m.mode).then(
                () => {
                  setEditProt(false);
                  setDraft(initialDraft);
                  setProtMsg('Saved.');
                },
                (x: unknown) => setProtErr(x instanceof Error ? x.message : String(x)),
              );
            }}
          >
            <StorageChoice
              id="prot"
              value={draft}
              onChange={(d) => (setDraft(d), setProtErr(null))}
              error={protErr}
            />
            <div className="row-end">
              <button type="button" className="btn" onClick={() => setEditProt(false)}>
                Cancel
              </button>
              <button type="submit" className="btn btn-primary">
                Save
              </button>
            </div>
          </form>
        )}
        {protMsg && (
          <p className="ok-line small" role="status">
            {protMsg}
          </p>
        )}
      </section>

      <details className="settings-section id-replace">
        <summary>Use a different identity (import)</summary>
        <ImportForm replacing={id.handle} onDone={() => props.onClose()} />
      </details>

      <section className="settings-section" aria-labelledby="id-out-h">
        <h3 id="id-out-h">{conflict ? 'Forget these keys' : 'Sign out'}</h3>
        {!confirmOut ? (
          <button type="button" className="btn btn-danger-ghost" onClick={() => setConfirmOut(true)}>
            {conflict ? 'Forget these keys…' : 'Sign out…'}
          </button>
        ) : (
          <div className="confirm-box" role="group" aria-label="Confirm signing out">
            <p>
              Signing out removes @{id.handle}&apos;s keys from this device. Without a backup the handle is
              lost for good: nobody, not even the relay, can restore it.
            </p>
            <ConfirmButtons
              confirmLabel="Sign out"
              before={
                <button type="button" className="btn" onClick={doExport}>
                  Download backup first
                </button>
              }
              onCancel={() => setConfirmOut(false)}
              onConfirm={() => {
                signOut();
                props.onClose();
              }}
            />
          </div>
        )}
      </section>
    </div>
  );
}
