/**
 * Attaching files in the composer: a button (any file), the camera (`accept="image/*"`), drag
 * and drop and paste all end in `useUploads().add`, which encrypts and sends each file with
 * progress and a Cancel button.
 */
import { useCallback, useRef, useState } from 'react';
import { formatBytes } from '@protocol/attachments.js';
import { Icon } from '../components/Icon.js';

export interface Upload {
  id: number;
  name: string;
  size: number;
  done: number;
  error?: string;
  abort: AbortController;
}

type Send = (file: File, opts: { onProgress: (done: number) => void; signal: AbortSignal }) => Promise<void>;

let nextId = 0;

export function useUploads(send: Send, maxBytes: number) {
  const [uploads, setUploads] = useState<Upload[]>([]);
  const patch = (id: number, p: Partial<Upload>) =>
    setUploads((us) => us.map((u) => (u.id === id ? { ...u, ...p } : u)));
  const remove = (id: number) => setUploads((us) => us.filter((u) => u.id !== id));
  const add = useCallback(
    (files: Iterable<File>) => {
      for (const file of files) {
        const u: Upload = {
          id: ++nextId,
          name: file.name || 'file',
          size: file.size,
          done: 0,
          abort: new AbortController(),
        };
        if (file.size > maxBytes) {
          setUploads((us) => [...us, { ...u, error: `Too large: files up to ${formatBytes(maxBytes)}.` }]);
          continue;
        }
        setUploads((us) => [...us, u]);
        send(file, { signal: u.abort.signal, onProgress: (done) => patch(u.id, { done }) }).then(
          () => remove(u.id),
          (e: unknown) =>
            u.abort.signal.aborted
              ? remove(u.id)
              : patch(u.id, { error: e instanceof Error ? e.message : String(e) }),
        );
      }
    },
    [send, maxBytes],
  );
  const cancel = (u: Upload) => {
    u.abort.abort();
    remove(u.id);
  };
  return { uploads, add, cancel };
}

export function UploadList({ uploads, onCancel }: { uploads: Upload[]; onCancel: (u: Upload) => void }) {
  if (!uploads.length) return null;
  return (
    <ul className="upload-list" aria-label="Files being sent">
      {uploads.map((u) => (
        <li key={u.id} className={`upload${u.error ? ' is-error' : ''}`}>
          <Icon name="file" size={16} />
          <span className="file-name">{u.name}</span>
          {u.error ? (
            <span className="fail-text" role="alert">
              {u.error}
            </span>
          ) : (
            <progress max={Math.max(1, u.size)} value={u.done} aria-label={`Sending ${u.name}`} />
          )}
          <button type="button" className="btn btn-small btn-ghost" onClick={() => onCancel(u)}>
            {u.error ? 'Dismiss' : 'Cancel'}
          </button>
        </li>
      ))}
    </ul>
  );
}

export function AttachButtons({ onFiles, disabled }: { onFiles: (f: File[]) => void; disabled: boolean }) {
  const any = useRef<HTMLInputElement>(null);
  const camera = useRef<HTMLInputElement>(null);
  const take = (e: React.ChangeEvent<HTMLInputElement>) => {
    if (e.target.files?.length) onFiles([...e.target.files]);
    e.target.value = '';
  };
  return (
    <>
      <button
        type="button"
        className="icon-btn attach-btn"
        aria-label="Attach files"
        title="Attach files (encrypted)"
        disabled={disabled}
        onClick={() => any.current?.click()}
      >
        <Icon name="paperclip" size={20} />
      </button>
      <button
        type="button"
        className="icon-btn attach-btn"
        aria-label="Take a photo"
        title="Camera"
        disabled={disabled}
        onClick={() => camera.current?.click()}
      >
        <Icon name="camera" size={20} />
      </button>
      <input ref={any} type="file" multiple hidden data-testid="attach-input" onChange={take} />
      <input
        ref={camera}
        type="file"
        accept="image/*"
        capture="environment"
        hidden
        data-testid="camera-input"
        onChange={take}
      />
    </>
  );
}
