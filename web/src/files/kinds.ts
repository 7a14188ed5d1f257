/** How the console shows a file: Markdown rendered, text, an image, or a download. */
export type ViewKind = 'markdown' | 'text' | 'image' | 'download';

const TEXTUAL =
  /^(text\/|application\/(json|xml|javascript|ecmascript|x-yaml|yaml|toml|x-sh|sql|graphql|x-httpd-php)\b|[^;]*\+(json|xml)\b)/i;
/** Images a browser draws safely in an <img> (SVG there runs no script). */
const IMAGES = /^image\/(png|jpeg|gif|webp|avif|bmp|svg\+xml|x-icon|vnd\.microsoft\.icon)\b/i;
const MARKDOWN_TYPE = /^text\/(markdown|x-markdown)\b/i;
const MARKDOWN_NAME = /\.(md|markdown|mdown|mkd)$/i;

/** Texts larger than this are offered as a download instead of drawn on the page. */
export const MAX_SHOWN_BYTES = 2 * 1024 * 1024;
/** The editor opens files up to this size. */
export const MAX_EDITED_BYTES = 1024 * 1024;

const mediaType = (contentType: string) => contentType.split(';')[0]!.trim().toLowerCase();

/** The view for a file's content type and name; `looksLikeText` rescues text sent with a binary type. */
export function viewKind(contentType: string, name: string, size: number, looksLikeText = false): ViewKind {
  const type = mediaType(contentType);
  if (IMAGES.test(type)) return 'image';
  const textual = TEXTUAL.test(type) || looksLikeText;
  if (!textual || size > MAX_SHOWN_BYTES) return 'download';
  return MARKDOWN_TYPE.test(type) || MARKDOWN_NAME.test(name) ? 'markdown' : 'text';
}

/**
 * Whether bytes are UTF-8 text without NUL: browsers give some source files odd types (`.ts` is an MPEG
 * stream to them), and those should still open as text. Only the first 64 KiB are looked at.
 */
export function looksLikeText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 64 * 1024);
  if (head.includes(0)) return false;
  try {
    // A multi-byte character cut at 64 KiB is not a reason to call the rest binary.
    new TextDecoder('utf-8', { fatal: true }).decode(
      head.length < bytes.length ? head.subarray(0, -3) : head,
    );
    return true;
  } catch {
    return false;
  }
}

/** The editor's language for a file name. */
export function editorLanguage(name: string): 'markdown' | 'json' | 'javascript' | 'typescript' | 'plain' {
  const ext = name.slice(name.lastIndexOf('.') + 1).toLowerCase();
  if (MARKDOWN_NAME.test(name)) return 'markdown';
  if (ext === 'json') return 'json';
  if (['js', 'mjs', 'cjs', 'jsx'].includes(ext)) return 'javascript';
  if (['ts', 'mts', 'cts', 'tsx'].includes(ext)) return 'typescript';
  return 'plain';
}

/** `12 B`, `3.4 KB`, `1.2 MB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

/** The folder a path is in, and a path in a folder. */
export const parentOf = (path: string) =>
  path.lastIndexOf('/') <= 0 ? '/' : path.slice(0, path.lastIndexOf('/'));
export const nameOf = (path: string) => path.slice(path.lastIndexOf('/') + 1);
export const joinPath = (folder: string, name: string) => (folder === '/' ? `/${name}` : `${folder}/${name}`);
