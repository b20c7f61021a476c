/**
 * An attachment in a bubble: the inline thumbnail from the sealed envelope, the full image
 * decrypted on demand in a viewer that fits the screen, and a download with progress and cancel.
 * Nothing is shown or saved before every chunk and the SHA-256 are verified.
 */
import { useEffect, useRef, useState } from 'react';
import { formatBytes, type FileEnvelope } from '@protocol/attachments.js';
import { Icon } from '../components/Icon.js';
import { isPreviewable } from './thumbnail.js';
import { downloadFile, FileIntegrityError } from './transfer.js';

type Phase =
  | { kind: 'idle' }
  | { kind: 'busy'; done: number; purpose: 'view' | 'save' }
  | { kind: 'error'; text: string };

function saveBytes(bytes: Uint8Array, name: string, type: string): void {
  const url = URL.createObjectURL(
    new Blob([bytes as unknown as BlobPart], { type: type || 'application/octet-stream' }),
  );
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function FileCard({ file, roomId }: { file: FileEnvelope; roomId: string }) {
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const [viewUrl, setViewUrl] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  const image = isPreviewable(file.type);

  useEffect(() => () => abort.current?.abort(), []);
  useEffect(() => () => void (viewUrl && URL.revokeObjectURL(viewUrl)), [viewUrl]);
  useEffect(() => {
    if (!viewUrl) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setViewUrl(null);
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [viewUrl]);

  const fetchIt = async (purpose: 'view' | 'save') => {
    abort.current?.abort();
    const ctl = new AbortController();
    abort.current = ctl;
    setPhase({ kind: 'busy', done: 0, purpose });
    try {
      const bytes = await downloadFile(roomId, file, {
        signal: ctl.signal,
        onProgress: (done) => setPhase({ kind: 'busy', done, purpose }),
      });
      setPhase({ kind: 'idle' });
      if (purpose === 'save') saveBytes(bytes, file.name, file.type);
      else setViewUrl(URL.createObjectURL(new Blob([bytes as unknown as BlobPart], { type: file.type })));
    } catch (e) {
      if (ctl.signal.aborted) return setPhase({ kind: 'idle' });
      setPhase({
        kind: 'error',
        text:
          e instanceof FileIntegrityError
            ? `Refused: the file failed its integrity check (${e.message}).`
            : e instanceof Error
              ? e.message
              : String(e),
      });
    }
  };
  const cancel = () => {
    abort.current?.abort();
    setPhase({ kind: 'idle' });
  };
  const pct = phase.kind === 'busy' ? Math.floor((phase.done / Math.max(1, file.size)) * 100) : 0;

  return (
    <div className="file-card" data-file-name={file.name}>
      {image && file.thumb && (
        <button
          type="button"
          className="file-thumb"
          aria-label={`View image ${file.name}`}
          onClick={() => void fetchIt('view')}
        >
          <img
            src={`data:${file.thumb.type};base64,${file.thumb.data}`}
            width={file.thumb.w}
            height={file.thumb.h}
            alt={file.name}
          />
        </button>
      )}
      <div className="file-row">
        <Icon name="file" size={20} />
        <span className="file-name" title={file.name}>
          {file.name}
        </span>
        <span className="file-size muted small">{formatBytes(file.size)}</span>
        {phase.kind === 'busy' ? (
          <button type="button" className="btn btn-small btn-ghost" onClick={cancel}>
            Cancel
          </button>
        ) : (
          <button
            type="button"
            className="btn btn-small"
            aria-label={`Download ${file.name}`}
            onClick={() => void fetchIt('save')}
          >
            <Icon name="download" size={14} /> Download
          </button>
        )}
      </div>
      {/* Below the row, so the card keeps its width: the hover toolbar placed beside it stays clear. */}
      {phase.kind === 'busy' && (
        <progress className="file-progress" max={100} value={pct} aria-label={`Downloading ${file.name}`} />
      )}
      {phase.kind === 'error' && (
        <p className="file-error" role="alert">
          {phase.text}
        </p>
      )}
      {viewUrl && (
        <div
          className="viewer"
          role="dialog"
          aria-modal="true"
          aria-label={`Image ${file.name}`}
          onClick={() => setViewUrl(null)}
        >
          <img src={viewUrl} alt={file.name} className="viewer-img" onClick={(e) => e.stopPropagation()} />
          <div className="viewer-bar" onClick={(e) => e.stopPropagation()}>
            <button type="button" className="btn btn-small" onClick={() => void fetchIt('save')}>
              <Icon name="download" size={14} /> Save
            </button>
            <button
              type="button"
              className="btn btn-small"
              aria-label="Close viewer"
              onClick={() => setViewUrl(null)}
            >
              <Icon name="x" size={14} /> Close
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
