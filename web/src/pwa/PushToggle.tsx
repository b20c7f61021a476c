/** One opt-in switch for Web Push: a room's new messages, or one's DMs. */
import { useEffect, useState } from 'react';
import type { Identity } from '@protocol/identity.js';
import {
  dmPushHandle,
  pushAvailability,
  pushedRooms,
  setDmPush,
  setRoomPush,
  type PushAvailability,
} from './push.js';

type Target = { kind: 'room'; roomId: string } | { kind: 'dm'; identity: Identity };

const isOn = (t: Target) =>
  t.kind === 'room' ? pushedRooms().includes(t.roomId) : dmPushHandle() === t.identity.handle;

export function PushToggle({ target }: { target: Target }) {
  const [avail, setAvail] = useState<PushAvailability | null>(null);
  const [on, setOn] = useState(() => isOn(target));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void pushAvailability().then(setAvail);
  }, []);
  const what = target.kind === 'room' ? 'new messages in this room' : 'new direct messages';
  const toggle = async () => {
    setBusy(true);
    setError(null);
    try {
      if (target.kind === 'room') await setRoomPush(target.roomId, !on);
      else await setDmPush(target.identity, !on);
      setOn(!on);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  if (avail === null) return null;
  if (avail !== 'ready') {
    const why =
      avail === 'unsupported'
        ? 'This browser cannot receive push notifications.'
        : avail === 'denied'
          ? 'Notifications are blocked for this site in the browser settings.'
          : 'This relay has push notifications turned off.';
    return <p className="muted small">{why}</p>;
  }
  return (
    <div className="push-toggle">
      <p className="muted small">
        A push says only that there are {what}: never the text, the sender or the room.
      </p>
      <button
        type="button"
        className="btn"
        aria-pressed={on}
        disabled={busy}
        onClick={() => void toggle()}
        data-testid={`push-${target.kind}`}
      >
        {on ? `Push on: ${what} (turn off)` : `Push me about ${what}`}
      </button>
      {error && (
        <p className="fail-text small" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
