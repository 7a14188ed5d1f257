import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useRef, useState } from 'react';
import { describeError } from '../api/errors.ts';
import { uploadFile } from '../queries/files.ts';
import { keys } from '../queries/keys.ts';
import { formatBytes, joinPath } from './kinds.ts';

export interface Upload {
  id: number;
  name: string;
  path: string;
  loaded: number;
  total: number;
  state: 'waiting' | 'sending' | 'done' | 'failed';
  error?: string;
}

/**
 * Files dropped or picked, sent one after another (each reports its progress); the listing is read again
 * as each arrives. Finished rows stay until cleared, so a failure can be read.
 */
export function useUploads() {
  const queryClient = useQueryClient();
  const [uploads, setUploads] = useState<Upload[]>([]);
  const queue = useRef(Promise.resolve());
  const nextId = useRef(1);

  const update = useCallback(
    (id: number, patch: Partial<Upload>) =>
      setUploads((all) => all.map((u) => (u.id === id ? { ...u, ...patch } : u))),
    [],
  );

  const start = useCallback(
    (files: File[], folder: string) => {
      for (const file of files) {
        const id = nextId.current++;
        const path = joinPath(folder, file.name);
        setUploads((all) => [
          ...all,
          { id, name: file.name, path, loaded: 0, total: file.size, state: 'waiting' },
        ]);
        queue.current = queue.current.then(async () => {
          update(id, { state: 'sending' });
          try {
            await uploadFile(folder, file, (p) =>
              update(id, { loaded: p.loaded, total: p.total || file.size }),
            );
            update(id, { state: 'done', loaded: file.size });
          } catch (err) {
            update(id, { state: 'failed', error: describeError(err).message });
          }
          void queryClient.invalidateQueries({ queryKey: keys.files.all });
        });
      }
    },
    [queryClient, update],
  );

  const clear = useCallback(
    () => setUploads((all) => all.filter((u) => u.state === 'waiting' || u.state === 'sending')),
    [],
  );
  return { uploads, start, clear };
}

/** The uploads under way and finished, each with its progress bar. */
export function UploadList({ uploads, onClear }: { uploads: Upload[]; onClear: () => void }) {
  if (uploads.length === 0) return null;
  const busy = uploads.some((u) => u.state === 'waiting' || u.state === 'sending');
  return (
    <section className="card uploads" aria-label="Uploads" data-testid="uploads">
      <div className="section-head">
        <h2 className="section-title">Uploads</h2>
        {busy ? null : (
          <button type="button" className="btn btn-small" onClick={onClear}>
            Clear
          </button>
        )}
      </div>
      <ul className="upload-list">
        {uploads.map((u) => {
          const percent = u.total ? Math.round((u.loaded / u.total) * 100) : u.state === 'done' ? 100 : 0;
          return (
            <li key={u.id} className={`upload upload-${u.state}`} data-testid="upload">
              <span className="upload-name mono">{u.path}</span>
              <progress value={percent} max={100} aria-label={`Upload of ${u.name}`} />
              <span className="upload-state small-inline">
                {u.state === 'failed'
                  ? u.error
                  : u.state === 'done'
                    ? `Uploaded (${formatBytes(u.total)})`
                    : u.state === 'waiting'
                      ? 'Waiting'
                      : `${percent}% of ${formatBytes(u.total)}`}
              </span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
