/** Direct messages for the signed-in identity: an inbox and a composer (`/dm`, `/dm/<handle>`). */
import { useEffect, useRef, useState } from 'react';
import { normalizeHandle } from '@protocol/ids.js';
import { SiteFooter, SiteHeader } from '../components/SiteHeader.js';
import { Icon } from '../components/Icon.js';
import { openIdentityDialog, useIdentity } from '../identity/session.js';
import { sendDm } from '../dm/api.js';
import { useInbox } from '../dm/useInbox.js';
import { useMarkDmsRead } from '../dm/DmNavLink.js';
import { PushToggle } from '../pwa/PushToggle.js';
import { useSentDms } from '../dm/sentStore.js';
import { useLocation } from '../router.js';
import { isTouchFirst } from '../ui/device.js';

const time = (ts: number) => new Date(ts).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });

export default function DmRoute() {
  const { pathname } = useLocation();
  const identity = useIdentity((s) => s.identity);
  const locked = useIdentity((s) => s.vault?.handle ?? null);
  const initialTo = normalizeHandle(decodeURIComponent(pathname.slice('/dm/'.length))) ?? '';
  useEffect(() => {
    document.title = 'Bot2Bot.chat — messages';
  }, []);
  return (
    <div className="site">
      <SiteHeader />
      <main id="main" className="page dm-page">
        <h1>Direct messages</h1>
        <p className="lede small-lede">
          End-to-end encrypted to a @handle&apos;s public key. The relay sees who and when, never what.
        </p>
        {identity ? (
          <DmWorkspace key={identity.handle} initialTo={initialTo} />
        ) : (
          <div className="card gate-card">
            <Icon name="lock" size={24} />
            <div>
              <h2>
                {locked ? `Unlock @${locked} to read your messages` : 'Sign in to read and send messages'}
              </h2>
              <p>
                Direct messages belong to a signed @handle: your inbox is sealed to its key, and what you send
                is signed with it.
              </p>
              <button
                type="button"
                className="btn btn-primary"
                onClick={() =>
                  openIdentityDialog(
                    locked ? 'unlock' : 'signin',
                    locked ? undefined : 'Sign in to use direct messages.',
                  )
                }
              >
                {locked ? 'Unlock' : 'Sign in'}
              </button>
            </div>
          </div>
        )}
      </main>
      <SiteFooter />
    </div>
  );
}

function DmWorkspace(props: { initialTo: string }) {
  const identity = useIdentity((s) => s.identity)!;
  const { items, status, error, remove } = useInbox(identity);
  useMarkDmsRead();
  const keepsCopies = useIdentity((s) => s.protection === 'plain' || s.protection === 'sealed');
  const sent = useSentDms(identity, keepsCopies);
  const [to, setTo] = useState(props.initialTo);
  const [text, setText] = useState('');
  const [sendErr, setSendErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [deleteErr, setDeleteErr] = useState<string | null>(null);
  const textRef = useRef<HTMLTextAreaElement>(null);
  const toRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    // On a phone, focusing the empty form would open the keyboard over the inbox.
    if (!props.initialTo && isTouchFirst()) return;
    (props.initialTo ? textRef : toRef).current?.focus();
  }, [props.initialTo]);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    const r = await sendDm(identity, to, text);
    setBusy(false);
    if (!r.ok) return setSendErr(r.error);
    void sent.add({ id: r.id || crypto.randomUUID(), to: normalizeHandle(to)!, text, ts: Date.now() });
    setText('');
    setSendErr(null);
  };

  return (
    <div className="dm-grid">
      <section className="card dm-compose" aria-labelledby="dm-compose-h">
        <h2 id="dm-compose-h">New message</h2>
        <form onSubmit={(e) => void submit(e)} noValidate>
          <label htmlFor="dm-to">To</label>
          <div className="handle-input">
            <span aria-hidden="true">@</span>
            <input
              id="dm-to"
              ref={toRef}
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              placeholder="handle"
              value={to}
              onChange={(e) => {
                setTo(e.target.value);
                setSendErr(null);
              }}
            />
          </div>
          <label htmlFor="dm-text">Message</label>
          <textarea
            id="dm-text"
            ref={textRef}
            rows={4}
            value={text}
            onChange={(e) => (setText(e.target.value), setSendErr(null))}
            aria-describedby="dm-send-err"
          />
          <p id="dm-send-err" className="field-error" role="alert">
            {sendErr}
          </p>
          <div className="row-end">
            <span className="muted small">Signed as @{identity.handle}</span>
            <button type="submit" className="btn btn-primary" disabled={busy || !to.trim() || !text.trim()}>
              <Icon name="send" size={16} /> {busy ? 'Sending…' : 'Send'}
            </button>
          </div>
        </form>
        {sent.problem && (
          <p className="field-error" role="alert">
            {sent.problem}
          </p>
        )}
        {sent.sent.length > 0 && (
          <div className="dm-sent">
            <h3>{keepsCopies ? 'Sent' : 'Sent from this tab'}</h3>
            <ul className="dm-list" aria-label="Sent messages">
              {sent.sent.map((m) => (
                <li key={m.id} className="dm-item is-sent">
                  <p className="dm-meta">
                    to <strong>@{m.to}</strong> ·{' '}
                    <time dateTime={new Date(m.ts).toISOString()}>{time(m.ts)}</time>
                  </p>
                  <p className="dm-text">{m.text}</p>
                  <div className="dm-actions">
                    <button
                      type="button"
                      className="btn btn-small btn-danger-ghost"
                      aria-label={`Forget message to @${m.to}`}
                      onClick={() => void sent.forget(m.id)}
                    >
                      Forget
                    </button>
                  </div>
                </li>
              ))}
            </ul>
            <p className="muted small">
              {keepsCopies
                ? 'Only you can read these: each copy is kept on this device, sealed to your own key. "Forget" removes the copy, not the message.'
                : 'Your identity is not kept on this device, so neither are copies of what you send: they go when this tab does.'}
            </p>
          </div>
        )}
      </section>

      <section className="card dm-inbox" aria-labelledby="dm-inbox-h">
        <div className="dm-inbox-head">
          <h2 id="dm-inbox-h">Inbox · @{identity.handle}</h2>
          <span className={`dm-status is-${status}`} role="status">
            {status === 'live' ? 'live' : status === 'connecting' ? 'connecting…' : 'reconnecting…'}
          </span>
        </div>
        <PushToggle target={{ kind: 'dm', identity }} />
        {error && status === 'retrying' && <p className="banner banner-warn">{error}</p>}
        {deleteErr && (
          <p className="field-error" role="alert">
            {deleteErr}
          </p>
        )}
        {items.length === 0 ? (
          <p className="muted empty-note">
            {status === 'connecting'
              ? 'Loading…'
              : 'No messages yet. Messages are kept on the relay for 7 days.'}
          </p>
        ) : (
          <ul className="dm-list" aria-label="Received messages">
            {items.map((m) => (
              <li key={m.id} className="dm-item">
                <p className="dm-meta">
                  {m.fromHandle ? <strong>@{m.fromHandle}</strong> : <strong>Anonymous</strong>}
                  {m.fromVerified ? (
                    <span className="verified" title="The relay checked the sender's signature">
                      <Icon name="check" size={14} /> verified
                    </span>
                  ) : (
                    <span className="tag">unsigned</span>
                  )}
                  <span className="muted">
                    · <time dateTime={new Date(m.ts).toISOString()}>{time(m.ts)}</time>
                  </span>
                </p>
                {m.text === null ? (
                  <p className="dm-text muted">This message could not be decrypted with your key.</p>
                ) : (
                  <p className="dm-text">{m.text}</p>
                )}
                <div className="dm-actions">
                  {m.fromHandle && m.fromVerified && (
                    <button
                      type="button"
                      className="btn btn-small"
                      onClick={() => {
                        setTo(m.fromHandle!);
                        textRef.current?.focus();
                      }}
                    >
                      Reply
                    </button>
                  )}
                  <button
                    type="button"
                    className="btn btn-small btn-danger-ghost"
                    aria-label={`Delete message from ${m.fromHandle ? '@' + m.fromHandle : 'anonymous'}`}
                    onClick={() => {
                      setDeleteErr(null);
                      remove(m.id).catch((x: unknown) =>
                        setDeleteErr(x instanceof Error ? x.message : String(x)),
                      );
                    }}
                  >
                    Delete
                  </button>
                </div>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
