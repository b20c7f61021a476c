import { useState } from 'react';
import { ConfirmButtons } from '../ConfirmButtons.js';
import { TTL_PRESETS, formatTtl, parseTtl } from '@protocol/ttl.js';
import { navigate } from '../../router.js';
import { askNotificationPermission } from '../../room/notify.js';
import { Dialog } from '../Dialog.js';
import { useCtl, useRoomState } from './roomContext.js';
import { NameChip } from './NameChip.js';
import { LockSection } from './LockSection.js';
import { IdentityButton } from '../../identity/ui/IdentityButton.js';
import { PushToggle } from '../../pwa/PushToggle.js';

export function SettingsDialog(props: { open: boolean; onClose: () => void }) {
  const { ctl } = useCtl();
  const ttl = useRoomState((s) => s.ttlMs);
  const signedIn = useRoomState((s) => !!s.identity);
  const [custom, setCustom] = useState('');
  const [customError, setCustomError] = useState<string | null>(null);
  const [confirmForget, setConfirmForget] = useState(false);
  const [notif, setNotif] = useState<string>(
    typeof Notification === 'undefined' ? 'unsupported' : Notification.permission,
  );
  const isPreset = TTL_PRESETS.some((p) => p.ms === ttl);

  return (
    <Dialog open={props.open} onClose={props.onClose} title="Room settings">
      <section className="settings-section" aria-labelledby="id-h">
        <h3 id="id-h">Identity</h3>
        <p className="muted small">
          {signedIn
            ? 'Your messages are signed and show as verified.'
            : 'Sign in with a @handle to sign your messages, lock rooms, promote agents and use direct messages.'}
        </p>
        <IdentityButton />
      </section>
      <section className="settings-section" aria-labelledby="name-h">
        <h3 id="name-h">Your name in this room</h3>
        <p className="muted small">
          {signedIn
            ? 'Signed in: your name is your @handle.'
            : 'Shown to everyone; not authenticated. Letters, digits, . _ - (no spaces).'}
        </p>
        <NameChip id="settings-name" />
      </section>
      <section className="settings-section" aria-labelledby="ttl-h">
        <h3 id="ttl-h">Disappearing messages</h3>
        <p className="muted small">Your new messages auto-delete for everyone after:</p>
        <div className="ttl-grid" role="radiogroup" aria-labelledby="ttl-h">
          {TTL_PRESETS.map((p) => (
            <button
              key={p.ms}
              type="button"
              role="radio"
              aria-checked={ttl === p.ms}
              className={`chip${ttl === p.ms ? ' is-on' : ''}`}
              onClick={() => ctl.setTtl(p.ms)}
            >
              {p.ms === 0 ? 'Off' : p.label}
            </button>
          ))}
          {!isPreset && (
            <button type="button" role="radio" aria-checked="true" className="chip is-on">
              {formatTtl(ttl)}
            </button>
          )}
        </div>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            const r = parseTtl(custom);
            if (!r.ok) setCustomError(r.error);
            else {
              ctl.setTtl(r.ms);
              setCustom('');
              setCustomError(null);
            }
          }}
        >
          <label htmlFor="ttl-custom">Custom</label>
          <input
            id="ttl-custom"
            placeholder="45s, 10m, 2h, 3d, 2w, 6mo"
            value={custom}
            aria-invalid={customError ? true : undefined}
            aria-describedby="ttl-custom-err"
            onChange={(e) => setCustom(e.target.value)}
          />
          <button type="submit" className="btn">
            Set
          </button>
        </form>
        <p id="ttl-custom-err" className="field-error" role="alert">
          {customError}
        </p>
        <p className="muted small">
          The timer is visible metadata to the relay. Expiry follows the relay&apos;s clock stamp and your
          device clock.
        </p>
      </section>

      <LockSection />

      <section className="settings-section" aria-labelledby="notif-h">
        <h3 id="notif-h">Mention alerts</h3>
        <p className="muted small">
          A sound plays when someone @mentions you. System notifications need your permission.
        </p>
        <button
          type="button"
          className="btn"
          disabled={notif !== 'default'}
          onClick={() => void askNotificationPermission().then((p) => setNotif(p))}
        >
          {notif === 'granted'
            ? 'Notifications on'
            : notif === 'denied'
              ? 'Notifications blocked by the browser'
              : notif === 'unsupported'
                ? 'Not supported here'
                : 'Enable notifications'}
        </button>
      </section>

      <section className="settings-section" aria-labelledby="push-h">
        <h3 id="push-h">Push notifications</h3>
        <PushToggle target={{ kind: 'room', roomId: ctl.roomId }} />
      </section>

      <section className="settings-section" aria-labelledby="forget-h">
        <h3 id="forget-h">This device</h3>
        <p className="muted small">
          This room&apos;s encrypted history is cached here so it opens instantly and offline.
        </p>
        {!confirmForget ? (
          <button type="button" className="btn btn-danger-ghost" onClick={() => setConfirmForget(true)}>
            Forget this room on this device…
          </button>
        ) : (
          <div className="confirm-box" role="group" aria-label="Confirm forgetting this room">
            <p>
              Remove this room&apos;s cached messages, deletions and settings from this device? The room
              itself and other people&apos;s copies are not affected.
            </p>
            <ConfirmButtons
              confirmLabel="Forget room"
              onCancel={() => setConfirmForget(false)}
              onConfirm={() => void ctl.forget().then(() => navigate('/'))}
            />
          </div>
        )}
      </section>
    </Dialog>
  );
}
