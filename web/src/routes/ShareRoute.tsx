/**
 * The share target (manifest `share_target`): text or a link shared from another app lands here,
 * the user picks one of their recent rooms (or pastes a room link), may edit the text, and it is
 * sealed with that room's key into the room's outbox. The room then opens and sends it, online
 * now or when the network is back, exactly once.
 */
import { useMemo, useState } from 'react';
import { sealText } from '@protocol/crypto.js';
import { parseRoomLink } from '@protocol/roomUrl.js';
import { SiteHeader } from '../components/SiteHeader.js';
import { navigate } from '../router.js';
import { putOutbox } from '../storage/db.js';
import { recentRooms } from '../pwa/recentRooms.js';

function sharedText(q: URLSearchParams): string {
  const title = q.get('title')?.trim() ?? '';
  const text = q.get('text')?.trim() ?? '';
  const url = q.get('url')?.trim() ?? '';
  const parts = [title && !text.includes(title) ? title : '', text, url && !text.includes(url) ? url : ''];
  return parts.filter(Boolean).join('\n');
}

export default function ShareRoute() {
  const rooms = useMemo(() => recentRooms(), []);
  const [text, setText] = useState(() => sharedText(new URLSearchParams(location.search)));
  const [choice, setChoice] = useState<string>(rooms[0]?.link ?? '');
  const [pasted, setPasted] = useState('');
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const link = pasted.trim() || choice;
    const parsed = parseRoomLink(link.startsWith('/') ? location.origin + link : link);
    if (!parsed.ok) return setError('Choose a room, or paste a room link with its #k= key.');
    if (!text.trim()) return setError('There is nothing to share.');
    const sealed = sealText(text, parsed.link.key);
    try {
      await putOutbox({
        localId: crypto.randomUUID(),
        roomId: parsed.link.roomId,
        createdAt: Date.now(),
        ...sealed,
      });
    } catch {
      return setError('This browser cannot keep the message; open the room and paste it there.');
    }
    navigate(`/room/${encodeURIComponent(parsed.link.roomId)}#k=${parsed.link.keyText}`);
  };

  return (
    <div className="site">
      <SiteHeader />
      <main id="main" className="page share-page">
        <h1>Share to a room</h1>
        <form className="card" onSubmit={(e) => void submit(e)}>
          <label htmlFor="share-text">Message</label>
          <textarea id="share-text" rows={4} value={text} onChange={(e) => setText(e.target.value)} />
          <fieldset>
            <legend>Room</legend>
            {rooms.length === 0 && (
              <p className="muted small">No recent rooms on this device yet: paste a room link below.</p>
            )}
            {rooms.map((r) => (
              <label key={r.roomId} className="share-room">
                <input
                  type="radio"
                  name="share-room"
                  value={r.link}
                  checked={!pasted && choice === r.link}
                  onChange={() => (setChoice(r.link), setPasted(''))}
                />
                <span className="mono">{r.roomId}</span>{' '}
                <span className="muted small">opened {new Date(r.at).toLocaleString()}</span>
              </label>
            ))}
            <label htmlFor="share-link">Or paste a room link</label>
            <input
              id="share-link"
              type="url"
              value={pasted}
              onChange={(e) => setPasted(e.target.value)}
              placeholder="https://…/room/…#k=…"
            />
          </fieldset>
          {error && (
            <p className="field-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" className="btn btn-primary">
            Send to room
          </button>
        </form>
      </main>
    </div>
  );
}
