/** Editing one's own message in place: Enter saves, Shift+Enter adds a line, Escape cancels. */
import { useEffect, useRef, useState } from 'react';
import { editingStore } from './editing.js';

export function EditBox({ initial, onSave }: { initial: string; onSave: (text: string) => void }) {
  const [text, setText] = useState(initial);
  const ref = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
  }, []);
  const done = () => {
    editingStore.getState().set(null);
    document.getElementById('composer-input')?.focus();
  };
  const save = () => {
    if (text.trim() && text !== initial) onSave(text);
    done();
  };
  return (
    <div className="edit-box">
      <label className="sr-only" htmlFor="edit-input">
        Edit message
      </label>
      <textarea
        id="edit-input"
        ref={ref}
        value={text}
        rows={Math.min(8, Math.max(2, text.split('\n').length))}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            done();
          } else if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            save();
          }
        }}
      />
      <div className="edit-actions">
        <button type="button" className="btn btn-small" onClick={save}>
          Save
        </button>
        <button type="button" className="btn btn-small btn-ghost" onClick={done}>
          Cancel
        </button>
      </div>
    </div>
  );
}
