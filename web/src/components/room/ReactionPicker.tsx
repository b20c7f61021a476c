import { useEffect, useRef, useState } from 'react';
import { REACTION_MAX_CHARS, REACTION_PRESETS } from '@protocol/envelopes.js';
import { useKeepInViewport } from '../../ui/useKeepInViewport.js';

/** Floating under a message's toolbar, or `inline` inside the touch action sheet. */
export function ReactionPicker(props: {
  onPick: (emoji: string) => void;
  onClose: () => void;
  inline?: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [custom, setCustom] = useState('');
  const [err, setErr] = useState<string | null>(null);
  useKeepInViewport(ref, { active: !props.inline });
  useEffect(() => {
    if (props.inline) return;
    const root = ref.current;
    root?.querySelector<HTMLButtonElement>('button')?.focus();
    const onDown = (e: MouseEvent) => {
      if (!root?.contains(e.target as Node)) props.onClose();
    };
    document.addEventListener('mousedown', onDown);
    return () => document.removeEventListener('mousedown', onDown);
  }, [props]);
  const onKey = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      props.onClose();
      (
        ref.current?.parentElement?.querySelector('[aria-label="Add reaction"]') as HTMLElement | null
      )?.focus();
    }
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      const btns = [...(ref.current?.querySelectorAll<HTMLButtonElement>('.pick') ?? [])];
      const i = btns.indexOf(document.activeElement as HTMLButtonElement);
      if (i >= 0) btns[(i + (e.key === 'ArrowRight' ? 1 : btns.length - 1)) % btns.length]?.focus();
    }
  };
  return (
    <div
      className={`picker${props.inline ? ' is-inline' : ''}`}
      ref={ref}
      role="group"
      aria-label="Pick a reaction"
      onKeyDown={onKey}
    >
      <div className="picker-row">
        {REACTION_PRESETS.map((e) => (
          <button
            key={e}
            type="button"
            className="pick"
            aria-label={`React with ${e}`}
            onClick={() => props.onPick(e)}
          >
            {e}
          </button>
        ))}
      </div>
      <form
        className="picker-custom"
        onSubmit={(ev) => {
          ev.preventDefault();
          const v = custom.trim();
          if (!v) return;
          if (v.length > REACTION_MAX_CHARS) {
            setErr(`Keep it to ${REACTION_MAX_CHARS} characters.`);
            return;
          }
          props.onPick(v);
        }}
      >
        <label className="sr-only" htmlFor="react-custom">
          Custom reaction
        </label>
        <input
          id="react-custom"
          enterKeyHint="done"
          placeholder="custom…"
          value={custom}
          maxLength={64}
          onChange={(e) => setCustom(e.target.value)}
        />
        <button type="submit" className="btn btn-small">
          Add
        </button>
      </form>
      {err && (
        <p className="field-error" role="alert">
          {err}
        </p>
      )}
    </div>
  );
}
