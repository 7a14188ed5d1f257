import { api, unwrap } from '../api/client.ts';
import { ConfirmButton } from '../components/ResourcePage.tsx';
import { Empty, ErrorMessage, Loading, TimeAgo } from '../components/states.tsx';
import { type FileMetadata, useFileVersions, useRestoreFileVersion } from '../queries/files.ts';
import { download } from './FileView.tsx';
import { formatBytes } from './kinds.ts';
import { useActorName } from './names.ts';

/** Earlier versions of a file, newest first; each can be downloaded or made current again. */
export function Versions({ meta }: { meta: FileMetadata }) {
  const versions = useFileVersions(meta.path, true);
  const restore = useRestoreFileVersion();
  const actor = useActorName();

  async function fetchVersion(version: number) {
    const blob = await unwrap(
      api.GET('/api/v1/files/versions/content', {
        params: { query: { path: meta.path, version } },
        parseAs: 'blob',
      }),
    );
    download(blob, `${meta.name} (version ${version})`);
  }

  if (versions.error) return <ErrorMessage error={versions.error} />;
  if (!versions.data) return <Loading label="Reading versions…" />;
  if (versions.data.length === 0)
    return (
      <Empty title="No earlier versions">Each save keeps the version it replaces (the latest 50).</Empty>
    );
  return (
    <div className="table-wrap">
      <table className="table" data-testid="file-versions">
        <thead>
          <tr>
            <th>Version</th>
            <th>Size</th>
            <th>Written by</th>
            <th>When</th>
            <th>
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {versions.data.map((v) => (
            <tr key={v.version}>
              <td>{v.version}</td>
              <td>{formatBytes(v.size)}</td>
              <td>{actor(v.writtenBy)}</td>
              <td>
                <TimeAgo iso={v.writtenAt} />
              </td>
              <td className="row-actions">
                <button type="button" className="btn btn-small" onClick={() => void fetchVersion(v.version)}>
                  Download
                </button>
                {meta.access === 'write' && meta.etag ? (
                  <ConfirmButton
                    className="btn btn-small"
                    question={`Make version ${v.version} of ${meta.name} current again? The current one stays as a version.`}
                    disabled={restore.isPending}
                    onConfirm={() =>
                      restore.mutate({ path: meta.path, version: v.version, etag: meta.etag! })
                    }
                  >
                    Restore
                  </ConfirmButton>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {restore.error ? <ErrorMessage error={restore.error} /> : null}
    </div>
  );
}
