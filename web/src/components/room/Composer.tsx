import { useCallback, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { LIMITS } from '@protocol/limits.js';
import { formatTtl } from '@protocol/ttl.js';
import { utf8Encode } from '@protocol/hash.js';
import { Icon } from '../Icon.js';
import { isTouchFirst } from '../../ui/device.js';
import { useCtl, useRoomState } from './roomContext.js';
import { insertMention, mentionCandidates, mentionQuery } from './composerMentions.js';
import { MentionList } from './MentionList.js';
import { NameChip } from './NameChip.js';
import { SignedGate } from './SignedGate.js';
import { FILE_MAX_BYTES_DEFAULT } from '@protocol/attachments.js';
import { AttachButtons, UploadList, useUploads } from '../../attachments/Uploads.js';
import { editingStore } from '../../attachments/editing.js';
import { lastOwnEditable } from '../../attachments/edits.js';

const MAX_HEIGHT = 200;
const WARN_BYTES = 50 * 1024;

export function Composer() {
  const { ctl, link } = useCtl();
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
  const [dragging, setDragging] = useState(false);
  const sendFile = useCallback(
    (file: File, opts: { onProgress: (done: number) => void; signal: AbortSignal }) =>
      ctl.sendFile(file, opts),
    [ctl],
  );
  const { uploads, add: addFiles, cancel: cancelUpload } = useUploads(sendFile, FILE_MAX_BYTES_DEFAULT);
  // A soft keyboard has no Shift+Enter: on touch devices Enter is a new line and the button sends.
  const [touch] = useState(isTouchFirst);

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

  const candidates = useMemo(
    () => (mention ? mentionCandidates(mention.query, participants, order, messages, me, Date.now()) : []),
    [mention, participants, order, messages, me],
  );

  const updateMention = (value: string, caret: number) => {
    const q = mentionQuery(value, caret);
    setMention(q === null ? null : { query: q, index: 0 });
  };

  const pickMention = (name: string) => {
    const el = ta.current;
    if (!el) return;
    const next = insertMention(text, el.selectionStart, name);
    // Caret first, in the same event: a deferred move (next frame) let fast typing land before
    // it, scrambling the text.
    el.value = next.text;
    el.setSelectionRange(next.caret, next.caret);
    el.focus();
    setText(next.text);
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
    // ArrowUp in an empty composer edits this browser's last message.
    if (e.key === 'ArrowUp' && text === '' && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
      const last = lastOwnEditable(ctl.store.getState());
      if (last) {
        e.preventDefault();
        editingStore.getState().set(last.id);
        return;
      }
    }
    if (e.key !== 'Enter' || e.nativeEvent.isComposing) return;
    // A hardware keyboard on a tablet still sends with Ctrl/Cmd+Enter.
    const sends = touch ? e.ctrlKey || e.metaKey : !e.shiftKey;
    if (sends) {
      e.preventDefault();
      submit();
    }
  };

  return (
    <form
      className={`composer${dragging ? ' is-dragging' : ''}`}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
      onDragOver={(e) => {
        if (blocked || !e.dataTransfer.types.includes('Files')) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        setDragging(false);
        if (blocked || !e.dataTransfer.files.length) return;
        e.preventDefault();
        addFiles([...e.dataTransfer.files]);
      }}
    >
      <UploadList uploads={uploads} onCancel={cancelUpload} />
      {replyTo && (
        <div className="reply-pill">
          <span className="reply-pill-text">
            Replying to <strong>{replyTo.sender}</strong>: {replyTo.preview}
          </span>
          <button
            type="button"
            className="icon-btn"
            aria-label="Cancel reply"
            onClick={() => ctl.store.getState().setReplyTo(null)}
          >
            <Icon name="x" size={16} />
          </button>
        </div>
      )}
      {blocked && <SignedGate locked={locked} />}
      <div className="composer-row">
        <NameChip />
        <AttachButtons onFiles={addFiles} disabled={blocked} />
        <div className="composer-input-wrap">
          {mention && candidates.length > 0 && (
            <MentionList candidates={candidates} active={mention.index} onPick={pickMention} />
          )}
          <label className="sr-only" htmlFor="composer-input">
            Message
          </label>
          <textarea
            id="composer-input"
            ref={ta}
            rows={1}
            enterKeyHint={touch ? 'enter' : 'send'}
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
            onPaste={(e) => {
              const files = [...e.clipboardData.files];
              if (!files.length || blocked) return;
              e.preventDefault();
              addFiles(files);
            }}
            onBlur={() => setTimeout(() => setMention(null), 100)}
          />
          <button
            type="submit"
            className="send-btn"
            aria-label="Send message"
            disabled={!text.trim() || tooLong || blocked}
          >
            <Icon name="send" size={20} />
          </button>
        </div>
      </div>
      <p
        id="composer-hint"
        className={`composer-hint${tooLong || error ? ' is-error' : bytes > WARN_BYTES ? ' is-warn' : ''}`}
        aria-live="polite"
      >
        {error ??
          (bytes > WARN_BYTES ? (
            `${(bytes / 1024).toFixed(1)} KiB of ${LIMITS.plaintextBytes / 1024} KiB`
          ) : (
            <>
              <span className="hint-keys">
                {touch
                  ? 'Enter for a new line · tap Send to send'
                  : 'Enter to send · Shift+Enter for a new line'}
              </span>
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
