import { memo, useRef, useState } from 'react';
import { REACTION_PRESETS } from '@protocol/envelopes.js';
import { formatTtl } from '@protocol/ttl.js';
import { looksLikeHandle } from '@protocol/labels.js';
import { isTouchFirst } from '../../ui/device.js';
import { placeToolbar } from '../../ui/placement.js';
import { armReply, copyMessageLink } from './messageActions.js';
import { useLongPress } from './useLongPress.js';
import { replyState, sortReactionKeys, type ChatMessage } from '../../room/chatState.js';
import { initials, senderGradient } from '../../room/identityColors.js';
import type { Pending } from '../../store/roomStore.js';
import { Icon } from '../Icon.js';
import { Markdown } from '../Markdown.js';
import { useCtl, useRoomState } from './roomContext.js';
import { ReactionPicker } from './ReactionPicker.js';
import { jumpTo } from './jump.js';
import { replyLabel, threadRoot } from '../../room/threads.js';
import { useStore } from 'zustand';
import { EditBox } from '../../attachments/EditBox.js';
import { editingStore } from '../../attachments/editing.js';
import { FileCard } from '../../attachments/FileCard.js';
import { OWN_REACTOR } from '../../room/reactors.js';

// One formatter for every bubble: toLocaleTimeString builds a new one per call, which dominated
// rendering long rooms.
const TIME = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit' });
const time = (ts: number) => TIME.format(ts);

function reactLabel(keys: string[], emoji: string): string {
  const actors = keys.map((k) => (k === OWN_REACTOR ? 'you' : k));
  if (actors.length <= 5) return `${actors.join(', ')} reacted with ${emoji}`;
  return `${actors.slice(0, 4).join(', ')} and ${actors.length - 4} more reacted with ${emoji}`;
}

export const Bubble = memo(function Bubble(props: {
  m: ChatMessage;
  self: boolean;
  compact: boolean;
  replies: number;
  onDelete: (id: string) => void;
  /** Touch devices: open the action sheet for this message. */
  onActions: (id: string) => void;
}) {
  const { m, self } = props;
  const { ctl, link } = useCtl();
  const me = useRoomState((s) => s.me);
  const reactions = useRoomState((s) => s.reactions[m.id]);
  const flash = useRoomState((s) => s.flashId === m.id);
  // Select stable references only; deriving an object inside the selector would re-render forever.
  const parent = useRoomState((s) => (m.replyTo ? s.messages[m.replyTo] : undefined));
  const parentDead = useRoomState((s) => (m.replyTo ? m.replyTo in s.tombstones : false));
  const reply = m.replyTo
    ? replyState(
        {
          messages: parent ? { [m.replyTo]: parent } : {},
          order: [],
          tombstones: parentDead ? { [m.replyTo]: 0 } : {},
          reactions: {},
        },
        m.replyTo,
        ctl.serverNow(),
      )
    : null;
  const [picker, setPicker] = useState(false);
  const editing = useStore(editingStore, (st) => st.id === m.id);
  const editable = self && !m.restored;
  const bar = useRef<HTMLDivElement>(null);
  const longPress = useLongPress(() => props.onActions(m.id));

  /** Pointer devices: put the toolbar where it covers neither the text nor the sender line. */
  const placeBar = (e: React.SyntheticEvent<HTMLElement>) => {
    const art = e.currentTarget;
    const el = bar.current;
    const card = art.querySelector('.bubble-card');
    const list = art.closest('.messages');
    if (!el || !card || !list || isTouchFirst()) return;
    const a = art.getBoundingClientRect();
    const lr = list.getBoundingClientRect();
    const bound = {
      left: lr.left,
      top: lr.top,
      right: lr.left + list.clientWidth,
      bottom: lr.top + list.clientHeight,
    };
    const p = placeToolbar({
      card: card.getBoundingClientRect(),
      message: a,
      bar: { w: el.offsetWidth, h: el.offsetHeight },
      bound,
      self,
    });
    el.style.left = `${p.left - a.left}px`;
    el.style.top = `${p.top - a.top}px`;
    el.dataset.side = p.side;
  };
  /** Touch devices: a tap on the message (not on a link or control in it) opens its sheet. */
  const onCardClick = (e: React.MouseEvent) => {
    if (!isTouchFirst() || longPress.fired()) return;
    if ((e.target as Element).closest('a, button, input, textarea, summary, [role="button"]')) return;
    props.onActions(m.id);
  };
  const openThread = () => ctl.store.getState().openThread(threadRoot(ctl.store.getState().messages, m.id));

  return (
    <article
      id={`msg-${m.id}`}
      className={`bubble ${self ? 'bubble-self' : 'bubble-other'}${props.compact ? ' is-compact' : ''}${flash ? ' is-flash' : ''}${m.restored ? ' is-restored' : ''}${m.file ? ' has-file' : ''}`}
      data-msg-id={m.id}
      data-seq={m.seq}
      tabIndex={-1}
      aria-label={`${m.sender}${m.verified ? ', verified' : ''} at ${time(m.ts)}`}
      onMouseEnter={placeBar}
      onFocus={placeBar}
      onClick={onCardClick}
      {...longPress.handlers}
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
            <span
              className="unsigned-handle"
              title="This label looks like a @handle but the message is not signed: anyone can type it"
            >
              unsigned
            </span>
          )}
          {self && <span className="you">you</span>}
          {m.restored && (
            <span
              className="restored"
              title="Restored from a peer's history; its sender and text cannot be verified"
            >
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
        {editing ? (
          <EditBox
            initial={m.file ? (m.file.text ?? '') : m.text}
            onSave={(t) => void ctl.editMessage(m.id, t)}
          />
        ) : m.file ? (
          <>
            <FileCard file={m.file} roomId={link.roomId} />
            {m.file.text && (
              <div className="body">
                <Markdown text={m.file.text} me={me} />
              </div>
            )}
          </>
        ) : (
          <div className="body">
            <Markdown text={m.text} me={me} />
          </div>
        )}
        {m.edited && !editing && (
          <span className="edited-mark" title="Edited by its sender">
            edited
          </span>
        )}
      </div>
      {reactions && (
        <div className="reactions">
          {sortReactionKeys(Object.keys(reactions), REACTION_PRESETS).map((emoji) => {
            const actors = reactions[emoji]!;
            const mine = actors.includes(OWN_REACTOR);
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
      <div className="actions" ref={bar} role="group" aria-label={`Actions for the message from ${m.sender}`}>
        <ActButton
          className="act-more"
          label="More actions"
          title="More actions"
          icon="more"
          onClick={() => props.onActions(m.id)}
        />
        <ActButton label="Reply" title="Reply" icon="reply" onClick={() => armReply(ctl, m)} />
        <ActButton
          label="Add reaction"
          title="React"
          icon="smile"
          expanded={picker}
          onClick={() => setPicker((v) => !v)}
        />
        {editable && (
          <ActButton
            label="Edit message"
            title="Edit"
            icon="pencil"
            onClick={() => editingStore.getState().set(m.id)}
          />
        )}
        <ActButton
          label="Copy link to message"
          title="Copy link"
          icon="link"
          onClick={() => void copyMessageLink(ctl, link, m)}
        />
        <ActButton
          className="act-danger"
          label="Delete for everyone"
          title="Delete for everyone"
          icon="trash"
          onClick={() => props.onDelete(m.id)}
        />
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
  const discard = (
    <button type="button" className="btn btn-small btn-ghost" onClick={() => ctl.discardPending(p.localId)}>
      Discard
    </button>
  );
  return (
    <article
      className={`bubble bubble-self is-pending${p.status === 'failed' ? ' is-failed' : ''}`}
      aria-label={
        p.status === 'failed'
          ? 'Message not sent'
          : p.status === 'queued'
            ? 'Message waiting to send'
            : 'Sending message'
      }
    >
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
            {discard}
          </>
        ) : p.status === 'queued' ? (
          <>
            <span className="muted small" role="status">
              Waiting to send · kept on this device, sent by itself once the relay is reachable
            </span>
            {discard}
          </>
        ) : (
          <span className="muted small">{p.status === 'sent' ? 'Sent' : 'Sending…'}</span>
        )}
      </div>
    </article>
  );
}

/** One icon button of a message's hover toolbar. */
function ActButton(props: {
  label: string;
  title: string;
  icon: string;
  onClick: () => void;
  className?: string;
  expanded?: boolean;
}) {
  return (
    <button
      type="button"
      className={props.className ? `act ${props.className}` : 'act'}
      aria-label={props.label}
      title={props.title}
      aria-expanded={props.expanded}
      onClick={props.onClick}
    >
      <Icon name={props.icon} />
    </button>
  );
}
