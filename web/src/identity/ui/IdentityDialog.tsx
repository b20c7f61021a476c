/**
 * The one sign-in dialog (mounted once in App): create or import when signed out, unlock a
 * protected identity, manage when signed in. Replaces the reference's prompt/confirm chain.
 */
import { useState } from 'react';
import type { Identity } from '@protocol/identity.js';
import { Dialog } from '../../components/Dialog.js';
import { downloadIdentity } from '../files.js';
import { closeIdentityDialog, useIdentity } from '../session.js';
import { CreateForm } from './CreateForm.js';
import { ImportForm } from './ImportForm.js';
import { ManagePanel } from './ManagePanel.js';
import { UnlockForm } from './UnlockForm.js';

const TITLES = {
  signin: 'Sign in with a @handle',
  manage: 'Your identity',
  unlock: 'Unlock your identity',
} as const;

export default function IdentityDialog() {
  const dialog = useIdentity((s) => s.dialog);
  const identity = useIdentity((s) => s.identity);
  const vault = useIdentity((s) => s.vault);
  const storageProblem = useIdentity((s) => s.storageProblem);
  const [tab, setTab] = useState<'create' | 'import'>('create');
  const [welcome, setWelcome] = useState<Identity | null>(null);

  const view =
    dialog?.view === 'manage' && !identity
      ? 'signin'
      : dialog?.view === 'unlock' && !vault
        ? identity
          ? 'manage'
          : 'signin'
        : dialog?.view;
  const close = () => {
    closeIdentityDialog();
    setWelcome(null);
  };

  return (
    <Dialog
      open={!!dialog}
      onClose={close}
      title={welcome ? `Signed in as @${welcome.handle}` : view ? TITLES[view] : 'Identity'}
      className="dialog-identity"
    >
      {welcome ? (
        <div className="id-welcome">
          <p>
            You are <strong>@{welcome.handle}</strong>. Your messages are now signed, and others see them as
            verified.
          </p>
          <p className="banner banner-warn">
            Download a backup now: if this browser&apos;s data is cleared, the backup is the only way back to
            @{welcome.handle}.
          </p>
          <div className="row-end wrap">
            <button type="button" className="btn" onClick={() => downloadIdentity(welcome)}>
              Download backup (.json)
            </button>
            <button type="button" className="btn btn-primary" onClick={close}>
              Done
            </button>
          </div>
        </div>
      ) : view === 'manage' && identity ? (
        <ManagePanel identity={identity} onClose={close} />
      ) : view === 'unlock' ? (
        <UnlockForm onDone={close} />
      ) : (
        <div>
          {dialog?.reason && <p className="banner">{dialog.reason}</p>}
          {storageProblem && (
            <p className="banner banner-warn" role="status">
              {storageProblem} Creating or importing an identity replaces it.
            </p>
          )}
          <p className="muted small">
            A handle is a name only you can post under: your browser keeps a private signing key, and the
            relay checks every signed message.
          </p>
          <div className="tabs" role="tablist" aria-label="Sign-in method">
            <button
              type="button"
              role="tab"
              id="tab-create"
              aria-selected={tab === 'create'}
              aria-controls="panel-create"
              className={`tab${tab === 'create' ? ' is-on' : ''}`}
              onClick={() => setTab('create')}
            >
              Create new
            </button>
            <button
              type="button"
              role="tab"
              id="tab-import"
              aria-selected={tab === 'import'}
              aria-controls="panel-import"
              className={`tab${tab === 'import' ? ' is-on' : ''}`}
              onClick={() => setTab('import')}
            >
              Import backup
            </button>
          </div>
          <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
            {tab === 'create' ? <CreateForm onDone={setWelcome} /> : <ImportForm onDone={setWelcome} />}
          </div>
        </div>
      )}
    </Dialog>
  );
}
