import type { components } from '@switchboard/client';
import {
  keepPreviousData,
  queryOptions,
  useMutation,
  useQueries,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import { api, unwrap } from '../api/client.ts';
import { ApiError, errorFromAnswer } from '../api/errors.ts';
import { type UploadProgress, uploadClient } from '../api/upload.ts';
import { useToast } from '../components/Toasts.tsx';
import { joinPath, looksLikeText, viewKind } from '../files/kinds.ts';
import { useChannel } from '../realtime/RealtimeContext.tsx';
import { keys } from './keys.ts';

export type FileTree = components['schemas']['FileTree'];
export type FileEntry = components['schemas']['FileTreeEntry'];
export type FileMetadata = components['schemas']['FileMetadata'];
export type FileVersion = components['schemas']['FileVersion'];
export type FilePermissions = components['schemas']['FilePermissions'];
export type RuleInput = components['schemas']['PutFilePermissionsRequestInput']['rules'][number];

/** A file's bytes as last read, with the ETag a save must match; `text` when they are text to show. */
export interface FileContent {
  blob: Blob;
  contentType: string;
  etag: string;
  text: string | null;
}

/** One folder, one level down (folders are read as they are opened). */
export const folderQuery = (path: string) =>
  queryOptions({
    queryKey: keys.files.tree(path),
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/files/tree', { params: { query: { path } }, signal })),
  });

/**
 * The folders open in a tree, each read once it is open, as one answer that keeps its identity until a
 * listing changes (the tree rebuilds itself on each new one).
 */
export const useFolders = (paths: string[]) =>
  useQueries({
    queries: paths.map(folderQuery),
    combine: (results) => ({
      listings: results.map((r) => r.data),
      pending: results.map((r) => r.isPending),
      error: results[0]?.error ?? null,
    }),
  });

export function useFolder(path: string, enabled = true) {
  return useQuery({ ...folderQuery(path), enabled, placeholderData: keepPreviousData });
}

export function useFileMetadata(path: string) {
  return useQuery({
    queryKey: keys.files.metadata(path),
    queryFn: ({ signal }) =>
      unwrap(api.GET('/api/v1/files/metadata', { params: { query: { path } }, signal })),
  });
}

async function readContent(path: string, signal: AbortSignal): Promise<FileContent> {
  const { data, error, response } = await api.GET('/api/v1/files/content', {
    params: { query: { path } },
    parseAs: 'blob',
    signal,
  });
  if (error !== undefined || !response.ok || !data) throw errorFromAnswer(error, response);
  const contentType = response.headers.get('content-type') ?? 'application/octet-stream';
  const bytes = new Uint8Array(await data.arrayBuffer());
  const kind = viewKind(contentType, path, bytes.length, looksLikeText(bytes));
  const text = kind === 'text' || kind === 'markdown' ? new TextDecoder().decode(bytes) : null;
  return { blob: data, contentType, etag: response.headers.get('etag') ?? '', text };
}

/** A file's bytes; kept while fresh, read again when its metadata says it changed. */
export function useFileContent(path: string, enabled = true) {
  return useQuery({
    queryKey: keys.files.content(path),
    queryFn: ({ signal }) => readContent(path, signal),
    enabled,
    staleTime: 0,
  });
}

export function useFileVersions(path: string, enabled: boolean) {
  return useQuery({
    queryKey: keys.files.versions(path),
    queryFn: ({ signal }) =>
      unwrap(api.GET('/api/v1/files/versions', { params: { query: { path, limit: 50 } }, signal })).then(
        (d) => d.items,
      ),
    enabled,
  });
}

export function useFilePermissions(path: string, enabled: boolean) {
  return useQuery({
    queryKey: keys.files.permissions(path),
    queryFn: ({ signal }) =>
      unwrap(api.GET('/api/v1/files/permissions', { params: { query: { path } }, signal })),
    enabled,
  });
}

export function useFileSearch(q: string) {
  return useQuery({
    queryKey: keys.files.search(q),
    queryFn: ({ signal }) =>
      unwrap(api.GET('/api/v1/files/search', { params: { query: { q, limit: 50 } }, signal })).then(
        (d) => d.items,
      ),
    enabled: q.trim().length > 0,
    placeholderData: (previous) => previous,
  });
}

/** Whatever changed in the files, any listing or file on screen is read again (events carry the path only). */
export function useFilesLive(): void {
  const queryClient = useQueryClient();
  useChannel('files', () => void queryClient.invalidateQueries({ queryKey: keys.files.all }));
}

function useFilesChange<TVars, TResult>(change: (vars: TVars) => Promise<TResult>, done?: string) {
  const queryClient = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: change,
    onSuccess: () => {
      if (done) toast.notify(done);
    },
    onSettled: () => void queryClient.invalidateQueries({ queryKey: keys.files.all }),
  });
}

/**
 * Saves text over a file. `etag` is the version the editor opened: someone who saved in between makes the
 * server answer 412 version_conflict, and the editor asks whether to reload or overwrite.
 */
export const useSaveFile = () =>
  useFilesChange(
    ({ path, text, contentType, etag }: { path: string; text: string; contentType: string; etag: string }) =>
      unwrap(
        api.PUT('/api/v1/files/content', {
          params: { query: { path } },
          body: new Blob([text], { type: contentType }),
          bodySerializer: (body) => body,
          headers: { 'content-type': contentType, 'if-match': etag },
        }),
      ),
  );

/** Whether a save was refused because the file changed meanwhile, and its ETag now. */
export function saveConflict(error: unknown): { etag: string | null } | undefined {
  if (!(error instanceof ApiError) || error.code !== 'version_conflict') return undefined;
  const etag = (error.details as { etag?: unknown } | undefined)?.etag;
  return { etag: typeof etag === 'string' ? etag : null };
}

/** Uploads one file into a folder, telling how far it is. */
export function uploadFile(folder: string, file: File, onProgress: (p: UploadProgress) => void) {
  const path = joinPath(folder, file.name);
  return unwrap(
    uploadClient(onProgress).PUT('/api/v1/files/content', {
      params: { query: { path } },
      body: file,
      bodySerializer: (body) => body,
      // An unknown type goes as none: the server then goes by the name.
      headers: { 'content-type': file.type || null },
    }),
  );
}

export const useCreateFolder = () =>
  useFilesChange(
    (path: string) => unwrap(api.POST('/api/v1/files/folders', { body: { path } })),
    'Folder made',
  );

export const useMoveFile = () =>
  useFilesChange(
    (body: { from: string; to: string }) => unwrap(api.POST('/api/v1/files/move', { body })),
    'Moved',
  );

export const useDeleteFile = () =>
  useFilesChange(
    ({ path, recursive }: { path: string; recursive: boolean }) =>
      unwrap(
        api.DELETE('/api/v1/files/content', {
          params: { query: { path, recursive: recursive ? 'true' : 'false' } },
        }),
      ),
    'Deleted',
  );

export const useRestoreFileVersion = () =>
  useFilesChange(
    ({ path, version, etag }: { path: string; version: number; etag: string }) =>
      unwrap(
        api.POST('/api/v1/files/versions/restore', {
          body: { path, version },
          headers: { 'if-match': etag },
        }),
      ),
    'Version restored',
  );

export const useSetFilePermissions = () =>
  useFilesChange(
    ({ path, rules }: { path: string; rules: RuleInput[] }) =>
      unwrap(api.PUT('/api/v1/files/permissions', { params: { query: { path } }, body: { rules } })),
    'Permissions saved',
  );
