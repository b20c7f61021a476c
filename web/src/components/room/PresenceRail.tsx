import { useEffect, useMemo, useRef, useState } from 'react';
import { initials, senderGradient } from '../../room/identityColors.js';
import { Icon } from '../Icon.js';
import { useRoomState } from './roomContext.js';
import { PromoteDialog } from './PromoteDialog.js';
import {
  activity,
  dedupeByKey,
  roles,
  verifiedSenders,
  withoutEndedStreams,
  type Role,
} from '../../room/presenceRoles.js';

const ROLE_TAGS: Record<Role, { text: string; title: string; cls: string }> = {
  you: { text: 'you', title: 'This is you', cls: 'tag' },
  verified: {
    text: '✓ verified',
    title: 'Signed @handle: the relay checked its signature',
    cls: 'tag tag-verified',
  },
  'handle-unverified': {
    text: 'handle · unverified',
    title: 'Looks like a @handle, but no signed message from it has been seen here yet',
    cls: 'tag tag-warn',
  },
  anonymous: {
    text: 'anonymous',
    title: 'An unsigned display name: anyone can pick any name',
    cls: 'tag tag-anon',
  },
};

export function PresenceRail(props: { open: boolean; onClose: () => void }) {
  const participants = useRoomState((s) => s.participants);
  const at = useRoomState((s) => s.presenceAt);
  const liveNames = useRoomState((s) => s.liveNames);
  const me = useRoomState((s) => s.me);
  const fp = useRoomState((s) => s.fingerprint);
  const signedIn = useRoomState((s) => !!s.identity);
  const messages = useRoomState((s) => s.messages);
  const verified = useMemo(() => verifiedSenders(messages), [messages]);
  const [, tick] = useState(0);
  const [promote, setPromote] = useState<{ name: string; boxPub: string } | null>(null);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 5_000);
    return () => clearInterval(t);
  }, []);
  const live = useMemo(() => new Set(liveNames ?? []), [liveNames]);
  const everLive = useRef(new Set<string>());
  const present = useMemo(
    () =>
      dedupeByKey(
        // Without the relay's list of open streams (a ready frame) there is nothing to judge by.
        liveNames ? withoutEndedStreams(participants, live, everLive.current) : participants,
        live,
      ),
    [participants, live, liveNames],
  );
  const sorted = [...present].sort((a, b) =>
    a.name === me ? -1 : b.name === me ? 1 : a.name.localeCompare(b.name),
  );
  const elapsed = Date.now() - at;
  return (
    <aside className={`rail${props.open ? ' is-open' : ''}`} aria-label="Participants">
      <div className="rail-head">
        <h2>
          In the room <span className="muted">· {sorted.length}</span>
        </h2>
        <button
          type="button"
          className="icon-btn rail-close"
          aria-label="Close participants"
          onClick={props.onClose}
        >
          <Icon name="x" />
        </button>
      </div>
      <ul className="people">
        {sorted.map((p) => {
          const a = activity(p.last_seen_ms_ago + elapsed, live.has(p.name));
          const self = p.name === me;
          return (
            <li key={p.name} className="person">
              <span className="avatar" style={{ background: senderGradient(p.name) }} aria-hidden="true">
                {initials(p.name)}
              </span>
              <span className="person-name">
                <span className="name-text">{p.name}</span>
                <span className="person-tags">
                  {roles(p.name, { me, signedIn, verified }).map((r) => (
                    <span key={r} className={ROLE_TAGS[r].cls} title={ROLE_TAGS[r].title}>
                      {ROLE_TAGS[r].text}
                    </span>
                  ))}
                  {!self && (
                    <span className={`activity ${a.cls}`} title={a.title}>
                      {a.label}
                    </span>
                  )}
                </span>
              </span>
              {!self && !p.name.startsWith('@') && p.box_pub && (
                <button
                  type="button"
                  className="btn btn-small promote-btn"
                  aria-label={`Promote ${p.name} to a signed handle`}
                  onClick={() => setPromote({ name: p.name, boxPub: p.box_pub! })}
                >
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
        <p className="muted small">
          Compare it with others out of band to confirm you all hold the same key.
        </p>
      </div>
    </aside>
  );
}
