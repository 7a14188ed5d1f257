import { type ComponentProps, type ReactNode, useEffect, useSyncExternalStore } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';

type Highlighter = typeof import('./highlight.ts');

/**
 * The highlighter, loaded the first time a reply shows a code block with a language: until then (and for
 * a language it does not know) the block shows as plain text.
 */
let highlighter: Highlighter | undefined;
let loading: Promise<Highlighter> | undefined;
const listeners = new Set<() => void>();

/** Loads the highlighter (once); code blocks rendered from then on are highlighted. */
export function loadHighlighter(): Promise<Highlighter> {
  loading ??= import('./highlight.ts').then((m) => {
    highlighter = m;
    for (const notify of listeners) notify();
    return m;
  });
  return loading;
}

function useHighlighter(wanted: boolean): Highlighter | undefined {
  const loaded = useSyncExternalStore(
    (notify) => {
      listeners.add(notify);
      return () => listeners.delete(notify);
    },
    () => highlighter,
    () => highlighter,
  );
  useEffect(() => {
    if (wanted && !loaded) void loadHighlighter();
  }, [wanted, loaded]);
  return loaded;
}

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/**
 * The address of a link or image when it is an absolute http, https or mailto URL, else undefined (the
 * link then shows as its text): nothing a model writes can run script, reach `javascript:` or point into
 * the console.
 */
export function safeUrl(url: string): string | undefined {
  try {
    return SAFE_PROTOCOLS.has(new URL(url).protocol) ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Links open in a new tab that cannot reach back to this one, and pass on neither referrer nor rank. */
function Link({ href, children }: ComponentProps<'a'>) {
  if (!href) return <span className="md-link">{children}</span>;
  return (
    <a href={href} target="_blank" rel="noopener noreferrer nofollow">
      {children}
    </a>
  );
}

/** Images are never fetched (a reply could track whoever reads it): a link to the image instead. */
function Image({ src, alt }: ComponentProps<'img'>) {
  const text = alt || (typeof src === 'string' ? src : '') || 'image';
  return typeof src === 'string' && src ? <Link href={src}>{text}</Link> : text;
}

function Code({ className, children }: ComponentProps<'code'>) {
  const language = /\blanguage-([\w+#.-]+)/.exec(className ?? '')?.[1];
  const loaded = useHighlighter(language !== undefined);
  const text = typeof children === 'string' ? children : undefined;
  const highlighted = language && text !== undefined ? loaded?.highlight(text, language) : undefined;
  if (highlighted === undefined) return <code className={className}>{children}</code>;
  return <code className={`hljs ${className ?? ''}`}>{highlighted}</code>;
}

function Pre({ children }: ComponentProps<'pre'>) {
  return <pre className="code-block">{children}</pre>;
}

function Table({ children }: ComponentProps<'table'>) {
  return (
    <div className="md-table">
      <table>{children}</table>
    </div>
  );
}

const COMPONENTS: Components = { a: Link, img: Image, code: Code, pre: Pre, table: Table };
const REMARK_PLUGINS = [remarkGfm];
const urlTransform = (url: string) => safeUrl(url);

/**
 * Model text as GitHub-flavoured Markdown: paragraphs, headings, lists and task lists, tables, links,
 * strikethrough, and code blocks highlighted by language. HTML in the text is never rendered as HTML (no
 * raw-HTML plugin: it is dropped), links open safely, and a fence still open while a reply streams already
 * shows as a code block.
 */
export function Markdown({ text }: { text: string }): ReactNode {
  return (
    <div className="md">
      <ReactMarkdown remarkPlugins={REMARK_PLUGINS} components={COMPONENTS} urlTransform={urlTransform}>
        {text}
      </ReactMarkdown>
    </div>
  );
}
