import { useEffect, useState } from 'react';
import { initials, senderGradient } from '../../room/identityColors.js';
import { Icon } from '../Icon.js';
import { useRoomState } from './Room.js';
import { PromoteDialog } from './PromoteDialog.js';

function activity(ms: number): { label: string; cls: string } {
  if (ms < 30_000) return { label: 'active', cls: 'is-active' };
  if (ms < 120_000) return { label: 'idle', cls: 'is-idle' };
  const m = Math.round(ms / 60_000);
  return { label: m < 60 ? `quiet · ${m}m` : `quiet · ${Math.round(m / 60)}h`, cls: 'is-quiet' };
}

export function PresenceRail(props: { open: boolean; onClose: () => void }) {
  const participants = useRoomState((s) => s.participants);
  const at = useRoomState((s) => s.presenceAt);
  const me = useRoomState((s) => s.me);
  const fp = useRoomState((s) => s.fingerprint);
  const [, tick] = useState(0);
  const [promote, setPromote] = useState<{ name: string; boxPub: string } | null>(null);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 15_000);
    return () => clearInterval(t);
  }, []);
  const sorted = [...participants].sort((a, b) => (a.name === me ? -1 : b.name === me ? 1 : a.name.localeCompare(b.name)));
  const elapsed = Date.now() - at;
  return (
    <aside className={`rail${props.open ? ' is-open' : ''}`} aria-label="Participants">
      <div className="rail-head">
        <h2>
          In the room <span className="muted">· {participants.length}</span>
        </h2>
        <button type="button" className="icon-btn rail-close" aria-label="Close participants" onClick={props.onClose}>
          <Icon name="x" />
        </button>
      </div>
      <ul className="people">
        {sorted.map((p) => {
          const a = activity(p.last_seen_ms_ago + elapsed);
          const self = p.name === me;
          return (
            <li key={p.name} className="person">
              <span className="avatar" style={{ background: senderGradient(p.name) }} aria-hidden="true">
                {initials(p.name)}
              </span>
              <span className="person-name">
                <span className="name-text">{p.name}</span>
                <span className="person-tags">
                  {self && <span className="tag">you</span>}
                  {p.name.startsWith('@') && <span className="tag tag-handle" title="A handle name; verification is shown per message">handle</span>}
                  {!self && <span className={`activity ${a.cls}`}>{a.label}</span>}
                </span>
              </span>
              {!self && !p.name.startsWith('@') && p.box_pub && (
                <button type="button" className="btn btn-small promote-btn" aria-label={`Promote ${p.name} to a signed handle`} onClick={() => setPromote({ name: p.name, boxPub: p.box_pub! })}>
                  Promote
                </button>
              )}
            </li>
          );
        })}
        {sorted.length === 0 && <li className="muted small">Connecting…</li>}
      </ul>
      <PromoteDialog target={promote} onClose={() => setPromote(null)} />
      <div className="rail-foot">
        <p className="fp-label">
          <Icon name="shield" size={14} /> Key fingerprint
        </p>
        <p className="fingerprint mono" data-testid="fingerprint">
          {fp}
        </p>
        <p className="muted small">Compare it with others out of band to confirm you all hold the same key.</p>
      </div>
    </aside>
  );
}
