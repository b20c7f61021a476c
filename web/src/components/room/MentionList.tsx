/** The @-mention pop-up above the composer; picking keeps focus in the text box. */
export function MentionList(props: { candidates: string[]; active: number; onPick: (name: string) => void }) {
  return (
    <ul className="mention-pop" role="listbox" id="mention-list" aria-label="Mention someone">
      {props.candidates.map((c, i) => (
        <li key={c} role="option" aria-selected={i === props.active} id={`mention-${i}`}>
          <button
            type="button"
            tabIndex={-1}
            className={i === props.active ? 'is-on' : ''}
            onMouseDown={(e) => {
              e.preventDefault();
              props.onPick(c);
            }}
          >
            @{c.replace(/^@/, '')}
          </button>
        </li>
      ))}
    </ul>
  );
}
