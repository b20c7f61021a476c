import { useState } from 'react';
import { ConfirmButtons } from '../ConfirmButtons.js';
import { openIdentityDialog } from '../../identity/session.js';
import { Icon } from '../Icon.js';
import { useCtl, useRoomState } from './roomContext.js';

/**
 * "Lock this room" (reference-client.md §3.11): arming is local; the relay's `locked` event is
 * what flips the state, and a refused lock disarms with a toast.
 */
export function LockSection() {
  const { ctl } = useCtl();
  const locked = useRoomState((s) => s.locked);
  const armed = useRoomState((s) => s.lockArmed);
  const signedIn = useRoomState((s) => !!s.identity);
  const [confirm, setConfirm] = useState(false);
  const set = ctl.store.getState().setLockArmed;
  let body: React.ReactNode;
  if (locked) {
    body = (
      <p className="small lock-state">
        <Icon name="lock" size={14} /> Locked: only signed @handle senders can post here. A lock cannot be
        undone.
      </p>
    );
  } else if (!signedIn) {
    body = (
      <>
        <p className="muted small">
          Only a signed sender can lock a room so that every message must be signed.
        </p>
        <button
          type="button"
          className="btn"
          onClick={() => openIdentityDialog('signin', 'Sign in to lock rooms to signed senders.')}
        >
          Sign in to lock
        </button>
      </>
    );
  } else if (armed) {
    body = (
      <>
        <p className="small lock-state is-armed" role="status">
          Armed: your next message locks the room.
        </p>
        <button type="button" className="btn" onClick={() => set(false)}>
          Cancel lock
        </button>
      </>
    );
  } else if (confirm) {
    body = (
      <div className="confirm-box" role="group" aria-label="Confirm locking this room">
        <p>
          Lock this room to signed @handle senders? It applies with your next message and cannot be undone.
          Anonymous people can still read.
        </p>
        <ConfirmButtons
          confirmLabel="Arm the lock"
          tone="primary"
          onCancel={() => setConfirm(false)}
          onConfirm={() => {
            set(true);
            setConfirm(false);
          }}
        />
      </div>
    );
  } else {
    body = (
      <>
        <p className="muted small">Require a signed @handle for every new message.</p>
        <button type="button" className="btn" onClick={() => setConfirm(true)}>
          Lock this room…
        </button>
      </>
    );
  }
  return (
    <section className="settings-section" aria-labelledby="lock-h">
      <h3 id="lock-h">Room lock</h3>
      {body}
    </section>
  );
}
