import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import { LIMITS } from '../../../../protocol/limits.js';
import { formatTtl } from '../../../../protocol/ttl.js';
import { utf8Encode } from '../../../../protocol/hash.js';
import { validateName } from '../../storage/local.js';
import { Icon } from '../Icon.js';
import { openIdentityDialog, useIdentity } from '../../identity/session.js';
import { useCtl, useRoomState } from './Room.js';

const MAX_HEIGHT = 200;
const WARN_BYTES = 50 * 1024;
const MENTION_RE = /(^|[\s(,.;:!?])@([A-Za-z0-9_-]*)$/;

export function Composer() {
  const { ctl, link } = useCtl();
  const stored = useIdentity((s) => (s.vault ? s.vault.handle : null));
  const replyTo = useRoomState((s) => s.replyTo);
  const ttl = useRoomState((s) => s.ttlMs);
  const locked = useRoomState((s) => s.locked);
  const identity = useRoomState((s) => s.identity);
  const participants = useRoomState((s) => s.participants);
  const me = useRoomState((s) => s.me);
  const order = useRoomState((s) => s.order);
  const messages = useRoomState((s) => s.messages);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [mention, setMention] = useState<{ query: string; index: number } | null>(null);
  const ta = useRef<HTMLTextAreaElement>(null);

  const bytes = useMemo(() => utf8Encode(text).length, [text]);
  const tooLong = bytes > LIMITS.plaintextBytes;
  // A signed=1 link promises a signed-only room even before its first message locks it.
  const blocked = (locked || link.signed) && !identity;

  useLayoutEffect(() => {
    const el = ta.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, MAX_HEIGHT)}px`;
  }, [text]);

  const candidates = useMemo(() => {
    if (!mention) return [];
    const names = new Map<string, number>();
    for (const p of participants) names.set(p.name, Date.now());
    for (let i = order.length - 1; i >= 0 && i > order.length - 300; i--) {
      const m = messages[order[i]!];
      if (m && !names.has(m.sender)) names.set(m.sender, m.ts);
    }
    names.delete(me);
    const q = mention.query.toLowerCase();
    return [...names.entries()]
      .filter(([n]) => n.replace(/^@/, '').toLowerCase().startsWith(q))
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([n]) => n);
  }, [mention, participants, order, messages, me]);

  const updateMention = (value: string, caret: number) => {
    const m = MENTION_RE.exec(value.slice(0, caret));
    setMention(m ? { query: m[2] ?? '', index: 0 } : null);
  };

  const pickMention = (name: string) => {
    const el = ta.current;
    if (!el) return;
    const caret = el.selectionStart;
    const before = text.slice(0, caret).replace(/@[A-Za-z0-9_-]*$/, `@${name.replace(/^@/, '')} `);
    const next = before + text.slice(caret);
    // Caret first, in the same event: a deferred move (next frame) let fast typing land before
    // it, scrambling the text.
    el.value = next;
    el.setSelectionRange(before.length, before.length);
    el.focus();
    setText(next);
    setMention(null);
  };

  const submit = () => {
    if (!text.trim()) return;
    if (blocked) {
      setError('This room only accepts signed @handle senders.');
      return;
    }
    if (tooLong) {
      setError(`Message too long: keep it under ${LIMITS.plaintextBytes / 1024} KiB.`);
      return;
    }
    ctl.send(text);
    setText('');
    setError(null);
    setMention(null);
  };

  const onKeyDown = (e: React.KeyboardEvent<HTMLTextAreaElement>) => {
    if (mention && candidates.length) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        const d = e.key === 'ArrowDown' ? 1 : candidates.length - 1;
        setMention({ ...mention, index: (mention.index + d) % candidates.length });
        return;
      }
      if (e.key === 'Enter' || e.key === 'Tab') {
        e.preventDefault();
        pickMention(candidates[mention.index] ?? candidates[0]!);
        return;
      }
      if (e.key === 'Escape') {
        e.preventDefault();
        setMention(null);
        return;
      }
    }
    if (e.key === 'Escape' && replyTo) {
      ctl.store.getState().setReplyTo(null);
      return;
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  };

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      {replyTo && (
        <div className="reply-pill">
          <span className="reply-pill-text">
            Replying to <strong>{replyTo.sender}</strong>: {replyTo.preview}
          </span>
          <button type="button" className="icon-btn" aria-label="Cancel reply" onClick={() => ctl.store.getState().setReplyTo(null)}>
            <Icon name="x" size={16} />
          </button>
        </div>
      )}
      {blocked && (
        <div className="signed-gate" role="region" aria-label="Signed senders only">
          <Icon name="lock" size={20} />
          <div>
            <p className="signed-gate-title">{locked ? 'This room only accepts signed @handle senders' : 'This link is for a signed-only room'}</p>
            <p className="muted small">
              {locked
                ? 'Someone locked it so that every message is signed and verified by the relay. You can read along; to post, sign in with a @handle.'
                : 'Its first message locks it to signed @handle senders. Sign in with a @handle to post here.'}
            </p>
          </div>
          <button type="button" className="btn btn-primary" onClick={() => openIdentityDialog(stored ? 'unlock' : 'signin', stored ? undefined : 'This room only accepts signed @handle senders.')}>
            {stored ? `Unlock @${stored} to post` : 'Sign in to post'}
          </button>
        </div>
      )}
      <div className="composer-row">
        <NameChip />
        <div className="composer-input-wrap">
          {mention && candidates.length > 0 && (
            <ul className="mention-pop" role="listbox" id="mention-list" aria-label="Mention someone">
              {candidates.map((c, i) => (
                <li key={c} role="option" aria-selected={i === mention.index} id={`mention-${i}`}>
                  <button
                    type="button"
                    tabIndex={-1}
                    className={i === mention.index ? 'is-on' : ''}
                    onMouseDown={(e) => {
                      e.preventDefault();
                      pickMention(c);
                    }}
                  >
                    @{c.replace(/^@/, '')}
                  </button>
                </li>
              ))}
            </ul>
          )}
          <label className="sr-only" htmlFor="composer-input">
            Message
          </label>
          <textarea
            id="composer-input"
            ref={ta}
            rows={1}
            value={text}
            placeholder={blocked ? 'Signed senders only' : 'Encrypted message…'}
            disabled={blocked}
            aria-invalid={tooLong || undefined}
            aria-describedby="composer-hint"
            aria-autocomplete="list"
            aria-controls={mention && candidates.length ? 'mention-list' : undefined}
            aria-activedescendant={mention && candidates.length ? `mention-${mention.index}` : undefined}
            onChange={(e) => {
              setText(e.target.value);
              setError(null);
              updateMention(e.target.value, e.target.selectionStart);
            }}
            onKeyDown={onKeyDown}
            onBlur={() => setTimeout(() => setMention(null), 100)}
          />
          <button type="submit" className="send-btn" aria-label="Send message" disabled={!text.trim() || tooLong || blocked}>
            <Icon name="send" size={20} />
          </button>
        </div>
      </div>
      <p id="composer-hint" className={`composer-hint${tooLong || error ? ' is-error' : bytes > WARN_BYTES ? ' is-warn' : ''}`} aria-live="polite">
        {error ??
          (bytes > WARN_BYTES ? `${(bytes / 1024).toFixed(1)} KiB of ${LIMITS.plaintextBytes / 1024} KiB` : (
            <>
              <span className="hint-keys">Enter to send · Shift+Enter for a new line</span>
              {ttl > 0 && (
                <span className="hint-ttl">
                  <Icon name="clock" size={12} /> disappearing after {formatTtl(ttl)}
                </span>
              )}
            </>
          ))}
      </p>
    </form>
  );
}

export function NameChip({ id = 'name-input' }: { id?: string }) {
  const { ctl } = useCtl();
  const me = useRoomState((s) => s.me);
  const identity = useRoomState((s) => s.identity);
  const [draft, setDraft] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  if (identity) {
    return (
      <span className="name-chip is-signed" title="Signed in: your posts are signed">
        {me}
      </span>
    );
  }
  const commit = () => {
    if (draft === null) return;
    const v = draft.trim();
    const problem = validateName(v);
    if (problem) {
      setErr(problem);
      return;
    }
    ctl.rename(v);
    setDraft(null);
    setErr(null);
  };
  return (
    <div className="name-chip-wrap">
      <label className="sr-only" htmlFor={id}>
        Your display name
      </label>
      <input
        id={id}
        className={`name-chip${err ? ' is-error' : ''}`}
        value={draft ?? me}
        maxLength={48}
        aria-invalid={err ? true : undefined}
        aria-describedby={err ? `${id}-err` : undefined}
        onChange={(e) => {
          setDraft(e.target.value);
          setErr(null);
        }}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            commit();
          }
          if (e.key === 'Escape') {
            setDraft(null);
            setErr(null);
          }
        }}
      />
      {err && (
        <p id={`${id}-err`} className="field-error name-err" role="alert">
          {err}
        </p>
      )}
    </div>
  );
}
