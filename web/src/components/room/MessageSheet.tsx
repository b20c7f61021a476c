import { Dialog } from '../Dialog.js';
import { Icon } from '../Icon.js';
import { useCtl, useRoomState } from './roomContext.js';
import { ReactionPicker } from './ReactionPicker.js';
import { armReply, copyMessageLink, copyMessageText } from './messageActions.js';
import { threadRoot } from '../../room/threads.js';
import { editingStore } from '../../attachments/editing.js';

/**
 * Touch devices: a message's actions in a bottom sheet, opened by a tap or a long-press on the
 * message. Every target is at least 44 px and within a thumb's reach.
 */
export function MessageSheet(props: {
  id: string | null;
  onClose: () => void;
  onDelete: (id: string) => void;
}) {
  const { ctl, link } = useCtl();
  const m = useRoomState((s) => (props.id ? s.messages[props.id] : undefined));
  const open = !!props.id && !!m;
  const run = (fn: () => void) => () => {
    props.onClose();
    fn();
  };
  return (
    <Dialog
      open={open}
      onClose={props.onClose}
      title={m ? `Message from ${m.sender}` : 'Message'}
      className="sheet message-sheet"
    >
      {m && (
        <>
          <p className="sheet-preview">{m.text.replace(/\s+/g, ' ').slice(0, 140)}</p>
          <ReactionPicker
            inline
            onPick={(e) => {
              props.onClose();
              void ctl.toggleReaction(m.id, e);
            }}
            onClose={props.onClose}
          />
          <div className="sheet-actions" role="group" aria-label="Message actions">
            <button type="button" className="sheet-item" data-autofocus onClick={run(() => armReply(ctl, m))}>
              <Icon name="reply" /> Reply
            </button>
            <button
              type="button"
              className="sheet-item"
              onClick={run(() =>
                ctl.store.getState().openThread(threadRoot(ctl.store.getState().messages, m.id)),
              )}
            >
              <Icon name="people" /> Open thread
            </button>
            {m.own === true && !m.restored && (
              <button
                type="button"
                className="sheet-item"
                onClick={run(() => editingStore.getState().set(m.id))}
              >
                <Icon name="pencil" /> Edit
              </button>
            )}
            <button type="button" className="sheet-item" onClick={run(() => void copyMessageText(ctl, m))}>
              <Icon name="copy" /> Copy text
            </button>
            <button
              type="button"
              className="sheet-item"
              onClick={run(() => void copyMessageLink(ctl, link, m))}
            >
              <Icon name="link" /> Copy link
            </button>
            <button type="button" className="sheet-item is-danger" onClick={run(() => props.onDelete(m.id))}>
              <Icon name="trash" /> Delete for everyone
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}
