import { useState } from 'react';
import { Dialog } from '../Dialog.js';
import {
  StorageChoice,
  draftToMode,
  initialDraft,
  type StorageDraft,
} from '../../identity/ui/StorageChoice.js';
import { useCtl, useRoomState } from './roomContext.js';

/**
 * Consent for an adopt offer from a verified operator (reference-client.md §3.9 step 6, as a
 * real dialog). Shows who offers which handle; the keys themselves are never displayed.
 */
export function AdoptConsentDialog() {
  const { ctl } = useCtl();
  const offer = useRoomState((s) => s.adoptOffer);
  const me = useRoomState((s) => s.me);
  const hasIdentity = useRoomState((s) => !!s.identity);
  const [draft, setDraft] = useState<StorageDraft>(initialDraft);
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (!offer) return null;
  return (
    <Dialog
      open
      onClose={() => (busy ? undefined : ctl.declineAdopt())}
      title="A signed identity is offered to you"
      className="dialog-adopt"
    >
      <p className="adopt-lede">
        <strong>{offer.from}</strong> offers you the signed identity <strong>@{offer.handle}</strong>.
      </p>
      <ul className="adopt-facts small">
        <li>{offer.from} is a verified, signed sender: the relay checked their signature.</li>
        <li>
          Accepting keeps the keys on this device and renames you from <span className="mono">{me}</span> to{' '}
          <strong>@{offer.handle}</strong>, in this room and every other. Your messages will show as verified.
        </li>
        <li>{offer.from} created these keys, so they hold a copy too: only accept from someone you trust.</li>
        {hasIdentity && (
          <li>
            This replaces the identity you are signed in with now. Export it first if you want to keep it.
          </li>
        )}
      </ul>
      <StorageChoice id="adopt" value={draft} onChange={(d) => (setDraft(d), setErr(null))} error={err} />
      <div className="row-end wrap">
        <button type="button" className="btn" disabled={busy} onClick={() => ctl.declineAdopt()}>
          Decline
        </button>
        <button
          type="button"
          className="btn btn-primary"
          disabled={busy}
          onClick={() => {
            const m = draftToMode(draft);
            if (!m.ok) return setErr(m.error);
            setBusy(true);
            ctl.acceptAdopt(m.mode).then(
              () => setBusy(false),
              (x: unknown) => {
                setBusy(false);
                setErr(x instanceof Error ? x.message : String(x));
              },
            );
          }}
        >
          Accept @{offer.handle}
        </button>
      </div>
    </Dialog>
  );
}
