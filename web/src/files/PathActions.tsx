import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ConfirmButton } from '../components/ResourcePage.tsx';
import { ErrorMessage } from '../components/states.tsx';
import { type FileMetadata, useCreateFolder, useDeleteFile, useMoveFile } from '../queries/files.ts';
import { joinPath, parentOf } from './kinds.ts';

/** A field that takes the focus when it appears (`when` turns true), so a form opened from the keyboard is typed into at once. */
function useFocus(when = true) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (when) ref.current?.focus();
  }, [when]);
  return ref;
}

/** Rename or move: the new path, typed; the folders it names are made. */
function MoveForm({
  meta,
  onMoved,
  onCancel,
}: {
  meta: FileMetadata;
  onMoved: (to: string) => void;
  onCancel: () => void;
}) {
  const [to, setTo] = useState(meta.path);
  const move = useMoveFile();
  const field = useFocus();
  function submit(e: FormEvent) {
    e.preventDefault();
    move.mutate({ from: meta.path, to: to.trim() }, { onSuccess: (moved) => onMoved(moved.path) });
  }
  return (
    <form className="inline-form" onSubmit={submit}>
      <label>
        Rename or move to
        <input ref={field} value={to} onChange={(e) => setTo(e.target.value)} className="mono" required />
      </label>
      <button
        type="submit"
        className="btn btn-primary btn-small"
        disabled={move.isPending || to.trim() === meta.path}
      >
        Move
      </button>
      <button type="button" className="btn btn-small" onClick={onCancel}>
        Cancel
      </button>
      {move.error ? <ErrorMessage error={move.error} /> : null}
    </form>
  );
}

/** Rename, move and delete a file or folder (for those who may write it). */
export function PathActions({ meta, onGone }: { meta: FileMetadata; onGone: (next: string) => void }) {
  const [moving, setMoving] = useState(false);
  const remove = useDeleteFile();
  if (meta.access !== 'write' || meta.path === '/') return null;
  const folder = meta.type === 'folder';
  return (
    <>
      {moving ? (
        <MoveForm meta={meta} onCancel={() => setMoving(false)} onMoved={(to) => onGone(to)} />
      ) : (
        <button type="button" className="btn btn-small" onClick={() => setMoving(true)}>
          Rename or move
        </button>
      )}
      <ConfirmButton
        question={
          folder
            ? `Delete the folder ${meta.name} and everything in it?`
            : `Delete ${meta.name}? Its earlier versions go with it.`
        }
        disabled={remove.isPending}
        onConfirm={() =>
          remove.mutate(
            { path: meta.path, recursive: folder },
            { onSuccess: () => onGone(parentOf(meta.path)) },
          )
        }
      >
        Delete
      </ConfirmButton>
      {remove.error ? <ErrorMessage error={remove.error} /> : null}
    </>
  );
}

/** Makes a folder inside `folder`, by name. */
export function NewFolder({ folder, onMade }: { folder: string; onMade: (path: string) => void }) {
  const [name, setName] = useState('');
  const [open, setOpen] = useState(false);
  const create = useCreateFolder();
  const focus = useFocus(open);
  if (!open)
    return (
      <button type="button" className="btn btn-small" onClick={() => setOpen(true)}>
        New folder
      </button>
    );
  function submit(e: FormEvent) {
    e.preventDefault();
    const path = joinPath(folder, name.trim());
    create.mutate(path, {
      onSuccess: () => {
        setName('');
        setOpen(false);
        onMade(path);
      },
    });
  }
  return (
    <form className="inline-form" onSubmit={submit}>
      <label>
        Folder name
        <input ref={focus} value={name} onChange={(e) => setName(e.target.value)} required />
      </label>
      <button type="submit" className="btn btn-primary btn-small" disabled={create.isPending}>
        Create
      </button>
      <button type="button" className="btn btn-small" onClick={() => setOpen(false)}>
        Cancel
      </button>
      {create.error ? <ErrorMessage error={create.error} /> : null}
    </form>
  );
}
