import { Empty, ErrorMessage, Loading, TimeAgo } from '../components/states.tsx';
import { useFolder } from '../queries/files.ts';
import { FileIcon, FolderIcon, LockIcon } from './icons.tsx';
import { formatBytes } from './kinds.ts';

/** What a folder holds, folders first; a name opens it. */
export function FolderView({
  path,
  canWrite,
  onOpen,
}: {
  path: string;
  canWrite: boolean;
  onOpen: (path: string) => void;
}) {
  const folder = useFolder(path);
  if (folder.error) return <ErrorMessage error={folder.error} onRetry={() => void folder.refetch()} />;
  if (!folder.data) return <Loading label="Reading the folder…" />;
  const entries = folder.data.children;
  if (entries.length === 0)
    return (
      <Empty title="This folder is empty">
        {canWrite ? 'Drop files here, or use Upload, to add some.' : 'Nothing here that you may read.'}
      </Empty>
    );
  return (
    <div className="table-wrap">
      <table className="table" data-testid="folder-entries">
        <thead>
          <tr>
            <th>Name</th>
            <th>Size</th>
            <th>Changed</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.path}>
              <td className="cell-main">
                <button type="button" className="link-button" onClick={() => onOpen(e.path)}>
                  {e.type === 'folder' ? <FolderIcon /> : <FileIcon />}
                  <span>{e.name}</span>
                </button>
                {e.access === 'read' ? (
                  <span className="tree-lock" title="You may read this, not change it">
                    <LockIcon />
                    <span className="sr-only"> (read only)</span>
                  </span>
                ) : null}
              </td>
              <td>{e.size === undefined ? '—' : formatBytes(e.size)}</td>
              <td>
                <TimeAgo iso={e.updatedAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {folder.data.truncated ? <p className="hint">Only the first 2,000 entries are listed.</p> : null}
    </div>
  );
}
