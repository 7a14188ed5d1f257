import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { Markdown } from '../components/Markdown.tsx';
import { ErrorMessage, Loading } from '../components/states.tsx';
import { type FileMetadata, saveConflict, useFileContent, useSaveFile } from '../queries/files.ts';
import { editorLanguage, formatBytes, MAX_EDITED_BYTES, viewKind } from './kinds.ts';

const TextEditor = lazy(() => import('./TextEditor.tsx'));

/** Saves a blob under its name through the browser's download. */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function ImageView({ blob, name }: { blob: Blob; name: string }) {
  const url = useMemo(() => URL.createObjectURL(blob), [blob]);
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  return (
    <div className="file-image-wrap">
      <img src={url} alt={name} className="file-image" />
    </div>
  );
}

/** What the editor opened: the text and the ETag a save must still match. */
interface Opened {
  text: string;
  etag: string;
  /** Bumped on a reload, so the editor starts over even when the text is the same. */
  round: number;
}

/**
 * Editing a text file. A save sends the ETag the editor opened; when someone saved in between, the server
 * answers 412 and the editor says so, offering to reload their version (dropping these edits) or to
 * overwrite it with these.
 */
function FileEditor({
  meta,
  opened,
  current,
  onReload,
  onClose,
}: {
  meta: FileMetadata;
  opened: Opened;
  /** The ETag the server has now, as far as the page knows (a change arrives live). */
  current: string;
  onReload: () => void;
  onClose: () => void;
}) {
  const [text, setText] = useState(opened.text);
  const save = useSaveFile();
  const conflict = saveConflict(save.error);
  const contentType = meta.contentType ?? 'text/plain; charset=utf-8';
  const send = (etag: string) =>
    save.mutate({ path: meta.path, text, contentType, etag }, { onSuccess: () => onClose() });

  return (
    <div className="file-edit">
      {current !== opened.etag && !conflict ? (
        <p className="notice" role="status">
          Someone saved {meta.name} after you opened it. Saving now will ask whether to keep their version or
          yours.
        </p>
      ) : null}
      <Suspense fallback={<Loading label="Opening the editor…" />}>
        <TextEditor
          initial={opened.text}
          language={editorLanguage(meta.name)}
          label={`Contents of ${meta.name}`}
          onChange={setText}
          onSave={() => send(opened.etag)}
        />
      </Suspense>
      {conflict ? (
        <div className="problem problem-soft" role="alert" data-testid="save-conflict">
          <span>
            {meta.name} was changed by someone else after you opened it, so your save was refused (412: the
            version you edited is no longer the current one). Reload to see their version and lose your edits,
            or overwrite theirs with yours.
          </span>
          <span className="row-actions">
            <button type="button" className="btn btn-small" onClick={onReload}>
              Reload their version
            </button>
            <button
              type="button"
              className="btn btn-small btn-danger"
              onClick={() => send(conflict.etag ?? current)}
              disabled={save.isPending}
            >
              Overwrite with mine
            </button>
          </span>
        </div>
      ) : save.error ? (
        <ErrorMessage error={save.error} />
      ) : null}
      <div className="row-actions">
        <button
          type="button"
          className="btn btn-primary"
          onClick={() => send(opened.etag)}
          disabled={save.isPending || text === opened.text}
        >
          {save.isPending ? 'Saving…' : 'Save'}
        </button>
        <button type="button" className="btn" onClick={onClose}>
          Cancel
        </button>
        <span className="hint">Ctrl+S (⌘S) saves; Tab leaves the editor.</span>
      </div>
    </div>
  );
}

/** A file's content: Markdown rendered, text, an image, or a download; text files can be edited. */
export function FileView({ meta }: { meta: FileMetadata }) {
  const content = useFileContent(meta.path);
  // Editing starts from the text on screen, and stays on it while the file changes underneath.
  const [opened, setOpened] = useState<Opened | undefined>();
  const [showSource, setShowSource] = useState(false);

  if (content.error) return <ErrorMessage error={content.error} onRetry={() => void content.refetch()} />;
  if (!content.data) return <Loading label="Reading the file…" />;
  const { blob, text, contentType, etag } = content.data;
  const kind = viewKind(contentType, meta.name, blob.size, text !== null);
  const canEdit = text !== null && meta.access === 'write' && blob.size <= MAX_EDITED_BYTES;

  if (opened) {
    const reload = async () => {
      const fresh = await content.refetch();
      if (fresh.data?.text != null)
        setOpened({ text: fresh.data.text, etag: fresh.data.etag, round: opened.round + 1 });
    };
    return (
      <FileEditor
        key={`${opened.etag}:${opened.round}`}
        meta={meta}
        opened={opened}
        current={etag}
        onReload={() => void reload()}
        onClose={() => setOpened(undefined)}
      />
    );
  }
  if (kind === 'image') return <ImageView blob={blob} name={meta.name} />;
  if (kind === 'download' || text === null) {
    return (
      <div className="state" data-testid="file-download">
        <p className="state-title">No preview for {contentType}</p>
        <p className="muted">
          {formatBytes(blob.size)}.{' '}
          <button type="button" className="btn btn-small" onClick={() => download(blob, meta.name)}>
            Download {meta.name}
          </button>
        </p>
      </div>
    );
  }
  return (
    <div className="file-text-view" data-testid="file-view">
      <div className="file-view-bar">
        {kind === 'markdown' ? (
          <div className="segmented">
            <button
              type="button"
              className={`seg ${showSource ? '' : 'active'}`}
              aria-pressed={!showSource}
              onClick={() => setShowSource(false)}
            >
              Rendered
            </button>
            <button
              type="button"
              className={`seg ${showSource ? 'active' : ''}`}
              aria-pressed={showSource}
              onClick={() => setShowSource(true)}
            >
              Source
            </button>
          </div>
        ) : (
          <span className="muted small-inline">{contentType}</span>
        )}
        {canEdit ? (
          <button
            type="button"
            className="btn btn-small"
            onClick={() => setOpened({ text: text ?? '', etag, round: 0 })}
          >
            Edit
          </button>
        ) : null}
      </div>
      {kind === 'markdown' && !showSource ? (
        <div className="file-markdown">
          <Markdown text={text} />
        </div>
      ) : (
        <pre className="code-block file-text">{text}</pre>
      )}
    </div>
  );
}
