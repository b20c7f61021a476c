import { openIdentityDialog, useIdentity } from '../session.js';

/** The header control: "Sign in", "Unlock @h" or "@h". */
export function IdentityButton(props: { compact?: boolean }) {
  const identity = useIdentity((s) => s.identity);
  const vault = useIdentity((s) => s.vault);
  const conflict = useIdentity((s) => s.conflict);
  const label = identity ? `@${identity.handle}` : vault ? `Unlock @${vault.handle}` : 'Sign in';
  return (
    <button
      type="button"
      className={`btn btn-bar id-btn${identity ? ' is-signed' : ''}${conflict ? ' has-problem' : ''}`}
      aria-label={
        identity
          ? `Your identity: @${identity.handle}`
          : vault
            ? `Unlock @${vault.handle}`
            : 'Sign in with a @handle'
      }
      onClick={() => openIdentityDialog()}
    >
      <span className="id-dot" aria-hidden="true">
        @
      </span>
      <span className={props.compact ? 'bar-label' : undefined}>{label}</span>
    </button>
  );
}
