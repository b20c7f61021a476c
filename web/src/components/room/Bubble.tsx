import { memo, useState } from 'react';
import { REACTION_PRESETS } from '../../../../protocol/envelopes.js';
import { formatRoomLink } from '../../../../protocol/roomUrl.js';
import { formatTtl } from '../../../../protocol/ttl.js';
import { looksLikeHandle } from '../../../../protocol/labels.js';
import { copyText } from '../../clipboard.js';
import { replyState, sortReactionKeys, type ChatMessage } from '../../room/chatState.js';
import { initials, senderGradient } from '../../room/identityColors.js';
import type { Pending } from '../../store/roomStore.js';
import { Icon } from '../Icon.js';
import { Markdown } from '../Markdown.js';
import { useCtl, useRoomState } from './roomContext.js';
import { ReactionPicker } from './ReactionPicker.js';
import { jumpTo } from './jump.js';
import { replyLabel, threadRoot } from '../../room/threads.js';

// One formatter for every bubble: toLocaleTimeString builds a new one per call, which dominated
// rendering long rooms.
const TIME = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit' });
const time = (ts: number) => TIME.format(ts);

function reactLabel(actors: string[], emoji: string): string {
  if (actors.length <= 5) return `${actors.join(', ')} reacted with ${emoji}`;
  return `${actors.slice(0, 4).join(', ')} and ${actors.length - 4} more reacted with ${emoji}`;
}

export const Bubble = memo(function Bubble(props: { m: ChatMessage; self: boolean; compact: boolean; replies: number; onDelete: (id: string) => void }) {
  const { m, self } = props;
  const { ctl, link } = useCtl();
  const me = useRoomState((s) => s.me);
  const reactions = useRoomState((s) => s.reactions[m.id]);
  const flash = useRoomState((s) => s.flashId === m.id);
  // Select stable references only; deriving an object inside the selector would re-render forever.
  const parent = useRoomState((s) => (m.replyTo ? s.messages[m.replyTo] : undefined));
  const parentDead = useRoomState((s) => (m.replyTo ? m.replyTo in s.tombstones : false));
  const reply = m.replyTo
    ? replyState({ messages: parent ? { [m.replyTo]: parent } : {}, order: [], tombstones: parentDead ? { [m.replyTo]: 0 } : {}, reactions: {} }, m.replyTo, ctl.serverNow())
    : null;
  const [picker, setPicker] = useState(false);

  const copyLink = async () => {
    const url = formatRoomLink(location.origin, link.roomId, link.keyText, { messageId: m.id, extra: link.extra });
    const ok = await copyText(url);
    ctl.store.getState().toast(ok ? 'Message link copied' : 'Copying is blocked in this browser', ok ? 'ok' : 'error');
  };
  const armReply = () => {
    const oneLine = m.text.replace(/\s+/g, ' ').trim();
    ctl.store.getState().setReplyTo({ id: m.id, sender: m.sender, preview: oneLine.slice(0, 120) });
    document.getElementById('composer-input')?.focus();
  };
  const openThread = () => ctl.store.getState().openThread(threadRoot(ctl.store.getState().messages, m.id));

  return (
    <article
      id={`msg-${m.id}`}
      className={`bubble ${self ? 'bubble-self' : 'bubble-other'}${props.compact ? ' is-compact' : ''}${flash ? ' is-flash' : ''}${m.restored ? ' is-restored' : ''}`}
      data-msg-id={m.id}
      data-seq={m.seq}
      tabIndex={-1}
      aria-label={`${m.sender}${m.verified ? ', verified' : ''} at ${time(m.ts)}`}
    >
      {!props.compact && (
        <header className="meta">
          <span className="avatar" style={{ background: senderGradient(m.sender) }} aria-hidden="true">
            {initials(m.sender)}
          </span>
          <span className="sender">{m.sender}</span>
          {m.verified && (
            <span className="verified" title="Signed by a registered handle (checked by the relay)">
              <Icon name="check" size={12} />
              <span>verified</span>
            </span>
          )}
          {!m.verified && looksLikeHandle(m.sender) && (
            <span className="unsigned-handle" title="This label looks like a @handle but the message is not signed: anyone can type it">
              unsigned
            </span>
          )}
          {self && <span className="you">you</span>}
          {m.restored && (
            <span className="restored" title="Restored from a peer's history; its sender and text cannot be verified">
              restored · unverified
            </span>
          )}
          <time dateTime={new Date(m.ts).toISOString()}>{time(m.ts)}</time>
          {m.ttlMs ? (
            <span className="ttl" title={`Auto-deletes ${formatTtl(m.ttlMs)} after it was sent`}>
              <Icon name="clock" size={12} />
              {formatTtl(m.ttlMs)}
            </span>
          ) : null}
        </header>
      )}
      <div className="bubble-card">
        {reply && (
          <button
            type="button"
            className={`reply-ref${reply.kind === 'alive' ? '' : ' is-dead'}`}
            disabled={reply.kind !== 'alive'}
            onClick={() => m.replyTo && jumpTo(ctl.store, m.replyTo)}
          >
            {reply.kind === 'alive' ? (
              <>
                <span className="reply-who">↩ {reply.sender}</span>
                <span className="reply-text">{reply.preview}</span>
              </>
            ) : reply.kind === 'unknown' ? (
              'replying to an earlier message'
            ) : reply.kind === 'deleted' ? (
              'replying to a deleted message'
            ) : (
              'replying to an expired message'
            )}
          </button>
        )}
        <div className="body">
          <Markdown text={m.text} me={me} />
        </div>
      </div>
      {reactions && (
        <div className="reactions">
          {sortReactionKeys(Object.keys(reactions), REACTION_PRESETS).map((emoji) => {
            const actors = reactions[emoji]!;
            const mine = actors.includes(me);
            return (
              <button
                key={emoji}
                type="button"
                className={`pill${mine ? ' is-mine' : ''}`}
                aria-pressed={mine}
                title={reactLabel(actors, emoji)}
                aria-label={reactLabel(actors, emoji)}
                onClick={() => void ctl.toggleReaction(m.id, emoji)}
              >
                <span>{emoji}</span>
                <span className="pill-count">{actors.length}</span>
              </button>
            );
          })}
        </div>
      )}
      {props.replies > 0 && (
        <button type="button" className="thread-btn" data-thread-for={m.id} onClick={openThread}>
          <Icon name="reply" size={14} /> {replyLabel(props.replies)}
        </button>
      )}
      <div className="actions" role="group" aria-label={`Actions for the message from ${m.sender}`}>
        <button type="button" className="act" aria-label="Reply" title="Reply" onClick={armReply}>
          <Icon name="reply" />
        </button>
        <button type="button" className="act" aria-label="Add reaction" title="React" aria-expanded={picker} onClick={() => setPicker((v) => !v)}>
          <Icon name="smile" />
        </button>
        <button type="button" className="act" aria-label="Copy link to message" title="Copy link" onClick={() => void copyLink()}>
          <Icon name="link" />
        </button>
        <button type="button" className="act act-danger" aria-label="Delete for everyone" title="Delete for everyone" onClick={() => props.onDelete(m.id)}>
          <Icon name="trash" />
        </button>
        {picker && (
          <ReactionPicker
            onPick={(e) => {
              setPicker(false);
              void ctl.toggleReaction(m.id, e);
            }}
            onClose={() => setPicker(false)}
          />
        )}
      </div>
    </article>
  );
});

export function PendingBubble({ p }: { p: Pending }) {
  const { ctl } = useCtl();
  const me = useRoomState((s) => s.me);
  return (
    <article className={`bubble bubble-self is-pending${p.status === 'failed' ? ' is-failed' : ''}`} aria-label={p.status === 'failed' ? 'Message not sent' : p.status === 'queued' ? 'Message waiting to send' : 'Sending message'}>
      <div className="bubble-card">
        <div className="body">
          <Markdown text={p.text} me={me} />
        </div>
      </div>
      <div className="pending-state">
        {p.status === 'failed' ? (
          <>
            <span className="fail-text" role="alert">
              Not sent · {p.error}
            </span>
            <button type="button" className="btn btn-small" onClick={() => ctl.retrySend(p.localId)}>
              <Icon name="retry" size={14} /> Retry
            </button>
            <button type="button" className="btn btn-small btn-ghost" onClick={() => ctl.discardPending(p.localId)}>
              Discard
            </button>
          </>
        ) : p.status === 'queued' ? (
          <>
            <span className="muted small" role="status">
              Waiting to send · kept on this device, sent by itself once the relay is reachable
            </span>
            <button type="button" className="btn btn-small btn-ghost" onClick={() => ctl.discardPending(p.localId)}>
              Discard
            </button>
          </>
        ) : (
          <span className="muted small">{p.status === 'sent' ? 'Sent' : 'Sending…'}</span>
        )}
      </div>
    </article>
  );
}
