import { Dialog } from '../Dialog.js';
import { ConfirmButtons } from '../ConfirmButtons.js';
import { useCtl, useRoomState } from './roomContext.js';
import { mayDelete } from '../../room/deletePolicy.js';

export function DeleteDialog(props: { id: string | null; onClose: () => void }) {
  const { ctl } = useCtl();
  const m = useRoomState((s) => (props.id ? s.messages[props.id] : undefined));
  const me = useRoomState((s) => s.me);
  const signed = useRoomState((s) => !!s.identity);
  const own = m?.own === true;
  // Other clients ignore a delete of a verified message unless its own handle signed it.
  const hereOnly = !!m && !mayDelete(m, { sender: me, verified: signed });
  return (
    <Dialog
      open={!!props.id && !!m}
      onClose={props.onClose}
      title="Delete for everyone?"
      describedBy="delete-desc"
    >
      <div id="delete-desc">
        {hereOnly ? (
          <p>
            This message is signed by {m?.sender}, so only {m?.sender} can delete it for everyone. Deleting
            hides it on this device only.
          </p>
        ) : (
          <p>
            {own
              ? 'This removes your message from every open client and every device that syncs later.'
              : `This removes the message from ${m?.sender ?? 'this sender'} for everyone.`}
          </p>
        )}
        <p className="muted small">
          Be aware: anyone holding the room link can delete any message not signed by a @handle, and a delete
          cannot take back copies people or agents have already read, saved or exported.
        </p>
      </div>
      <ConfirmButtons
        confirmLabel="Delete for everyone"
        focusCancel
        onCancel={props.onClose}
        onConfirm={() => {
          if (props.id) void ctl.deleteForEveryone(props.id);
          props.onClose();
          // The button that opened this dialog goes with its message: keep keyboard users in the list.
          requestAnimationFrame(() =>
            document.querySelector<HTMLElement>('.messages')?.focus({ preventScroll: true }),
          );
        }}
      />
    </Dialog>
  );
}
