import { type DragEvent, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { ApiError } from '../api/errors.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { Empty, ErrorMessage, Loading, PageHeader, TimeAgo } from '../components/states.tsx';
import { FileTree } from '../files/FileTree.tsx';
import { FileView } from '../files/FileView.tsx';
import { FolderView } from '../files/FolderView.tsx';
import { FileIcon, FolderIcon } from '../files/icons.tsx';
import { formatBytes, parentOf } from '../files/kinds.ts';
import { useActorName } from '../files/names.ts';
import { NewFolder, PathActions } from '../files/PathActions.tsx';
import { PermissionsButton } from '../files/PermissionsDialog.tsx';
import { UploadList, useUploads } from '../files/uploads.tsx';
import { Versions } from '../files/Versions.tsx';
import { type FileMetadata, useFileMetadata, useFileSearch, useFilesLive } from '../queries/files.ts';

/** `/a/b` as links to `/`, `/a`, `/a/b`. */
function Crumbs({ path, onOpen }: { path: string; onOpen: (path: string) => void }) {
  const parts = path.split('/').filter(Boolean);
  return (
    <nav aria-label="Folder path" className="file-crumbs">
      <button type="button" className="link-button" onClick={() => onOpen('/')}>
        Files
      </button>
      {parts.map((part, i) => {
        const to = `/${parts.slice(0, i + 1).join('/')}`;
        const last = i === parts.length - 1;
        return (
          <span key={to}>
            <span aria-hidden="true" className="muted">
              {' / '}
            </span>
            {last ? (
              <span aria-current="page">{part}</span>
            ) : (
              <button type="button" className="link-button" onClick={() => onOpen(to)}>
                {part}
              </button>
            )}
          </span>
        );
      })}
    </nav>
  );
}

function Facts({ meta }: { meta: FileMetadata }) {
  const actor = useActorName();
  if (meta.path === '/') return null;
  return (
    <dl className="facts file-facts">
      {meta.type === 'file' ? (
        <>
          <div>
            <dt>Size</dt>
            <dd>{formatBytes(meta.size)}</dd>
          </div>
          <div>
            <dt>Type</dt>
            <dd className="mono small-inline">{meta.contentType}</dd>
          </div>
          <div>
            <dt>Version</dt>
            <dd>{meta.version}</dd>
          </div>
        </>
      ) : null}
      <div>
        <dt>Changed</dt>
        <dd>
          <TimeAgo iso={meta.updatedAt} /> by {actor(meta.updatedBy)}
        </dd>
      </div>
      <div>
        <dt>You may</dt>
        <dd>{meta.access === 'write' ? 'read and change it' : 'read it'}</dd>
      </div>
    </dl>
  );
}

function Search({ onOpen }: { onOpen: (path: string) => void }) {
  const [q, setQ] = useState('');
  const results = useFileSearch(q);
  return (
    <div className="file-search">
      <input
        type="search"
        className="file-search-input"
        placeholder="Find by name"
        aria-label="Find files by name"
        value={q}
        onChange={(e) => setQ(e.target.value)}
      />
      {q.trim() ? (
        <ul className="search-results" aria-label="Files found" aria-busy={results.isFetching}>
          {results.error ? <ErrorMessage error={results.error} /> : null}
          {results.data?.length === 0 ? <li className="muted small">Nothing found.</li> : null}
          {results.data?.map((hit) => (
            <li key={hit.path}>
              <button
                type="button"
                className="link-button"
                onClick={() => {
                  setQ('');
                  onOpen(hit.path);
                }}
              >
                {hit.type === 'folder' ? <FolderIcon /> : <FileIcon />}
                <span className="mono small-inline">{hit.path}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/**
 * The org's files: a tree whose folders open as they are expanded, a viewer for what is chosen (text,
 * Markdown, images, others as a download) with an editor for text, versions, per-path permissions, and
 * uploads by dropping files anywhere on the page. Live: any change anyone makes shows here.
 */
export function FilesPage() {
  const { can } = useSession();
  const [params, setParams] = useSearchParams();
  const path = params.get('path') || '/';
  const open = (to: string) => setParams(to === '/' ? {} : { path: to });
  useFilesLive();
  const meta = useFileMetadata(path);
  const uploads = useUploads();
  const picker = useRef<HTMLInputElement>(null);
  const [dropTo, setDropTo] = useState<string | undefined>();
  const [showVersions, setShowVersions] = useState(false);

  const here = meta.data?.type === 'folder' ? path : parentOf(path);
  const mayUpload = can('files:write') && (meta.data?.type !== 'folder' || meta.data.access === 'write');

  /** The folder a drag is over: a folder of the tree under the pointer, else the one on screen. */
  const targetOf = (e: DragEvent) =>
    (e.target as HTMLElement).closest<HTMLElement>('[data-folder="true"]')?.dataset.path ?? here;
  const dragging = (e: DragEvent) => e.dataTransfer.types.includes('Files');

  return (
    <div className="page-body files-page">
      <PageHeader title="Files">
        {mayUpload ? (
          <>
            <input
              ref={picker}
              type="file"
              multiple
              hidden
              data-testid="upload-input"
              onChange={(e) => {
                uploads.start([...(e.target.files ?? [])], here);
                e.target.value = '';
              }}
            />
            <button type="button" className="btn btn-primary" onClick={() => picker.current?.click()}>
              Upload
            </button>
          </>
        ) : null}
      </PageHeader>
      {/* biome-ignore lint/a11y/noStaticElementInteractions: dropping files is a pointer shortcut; Upload does the same from the keyboard */}
      <div
        className={`files ${dropTo ? 'files-dropping' : ''}`}
        data-testid="files-drop-zone"
        onDragOver={(e) => {
          if (!mayUpload || !dragging(e)) return;
          e.preventDefault();
          setDropTo(targetOf(e));
        }}
        onDragLeave={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDropTo(undefined);
        }}
        onDrop={(e) => {
          if (!mayUpload || !dragging(e)) return;
          e.preventDefault();
          uploads.start([...e.dataTransfer.files], targetOf(e));
          setDropTo(undefined);
        }}
      >
        <aside className="files-side card">
          <Search onOpen={open} />
          <FileTree selected={path} onOpen={(to) => open(to)} dropTarget={dropTo} />
        </aside>
        <section className="files-main" aria-label="Chosen file or folder">
          {dropTo ? (
            <div className="drop-hint" role="status">
              Drop to upload into <span className="mono">{dropTo}</span>
            </div>
          ) : null}
          <Crumbs path={path} onOpen={open} />
          {meta.error instanceof ApiError && meta.error.status === 404 ? (
            <Empty title={`Nothing at ${path}`}>
              <p>It was moved or deleted, or you may not see it.</p>
              <button type="button" className="btn btn-small" onClick={() => open('/')}>
                Back to all files
              </button>
            </Empty>
          ) : meta.error ? (
            <ErrorMessage error={meta.error} />
          ) : !meta.data ? (
            <Loading />
          ) : (
            <div className="card file-card" data-testid="file-card">
              <div className="file-head">
                <h2 className="file-title">
                  {meta.data.type === 'folder' ? <FolderIcon open /> : <FileIcon />}
                  <span>{meta.data.name || 'All files'}</span>
                </h2>
                <div className="row-actions">
                  {meta.data.type === 'folder' && meta.data.access === 'write' && can('files:write') ? (
                    <NewFolder folder={path} onMade={open} />
                  ) : null}
                  {meta.data.type === 'file' ? (
                    <button
                      type="button"
                      className="btn btn-small"
                      aria-pressed={showVersions}
                      onClick={() => setShowVersions((v) => !v)}
                    >
                      Versions
                    </button>
                  ) : null}
                  <PermissionsButton path={path} name={meta.data.name} />
                  {can('files:write') ? <PathActions meta={meta.data} onGone={open} /> : null}
                </div>
              </div>
              <Facts meta={meta.data} />
              {meta.data.type === 'file' && showVersions ? <Versions meta={meta.data} /> : null}
              {meta.data.type === 'file' ? (
                <FileView key={path} meta={meta.data} />
              ) : (
                <FolderView path={path} canWrite={mayUpload} onOpen={open} />
              )}
            </div>
          )}
          <UploadList uploads={uploads.uploads} onClear={uploads.clear} />
        </section>
      </div>
    </div>
  );
}
