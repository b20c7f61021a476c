import { Icon } from '../Icon.js';
import { openIdentityDialog, useIdentity } from '../../identity/session.js';

/** Shown instead of a usable composer when the room (or its link) admits signed senders only. */
export function SignedGate({ locked }: { locked: boolean }) {
  const stored = useIdentity((s) => (s.vault ? s.vault.handle : null));
  return (
    <div className="signed-gate" role="region" aria-label="Signed senders only">
      <Icon name="lock" size={20} />
      <div>
        <p className="signed-gate-title">
          {locked ? 'This room only accepts signed @handle senders' : 'This link is for a signed-only room'}
        </p>
        <p className="muted small">
          {locked
            ? 'Someone locked it so that every message is signed and verified by the relay. You can read along; to post, sign in with a @handle.'
            : 'Its first message locks it to signed @handle senders. Sign in with a @handle to post here.'}
        </p>
      </div>
      <button
        type="button"
        className="btn btn-primary"
        onClick={() =>
          openIdentityDialog(
            stored ? 'unlock' : 'signin',
            stored ? undefined : 'This room only accepts signed @handle senders.',
          )
        }
      >
        {stored ? `Unlock @${stored} to post` : 'Sign in to post'}
      </button>
    </div>
  );
}
