import { HighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { Compartment, EditorState, type Extension, Prec } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';
import type { editorLanguage } from './kinds.ts';

/** The console's colours (light and dark follow the theme's variables), so the editor looks like the rest. */
const theme = EditorView.theme({
  '&': {
    color: 'var(--text)',
    backgroundColor: 'var(--surface)',
    border: '1px solid var(--border)',
    borderRadius: '8px',
    fontSize: '0.9rem',
  },
  '&.cm-focused': { outline: '2px solid var(--accent)', outlineOffset: '2px' },
  '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace', minHeight: '320px' },
  '.cm-content': { caretColor: 'var(--text)' },
  '.cm-cursor, .cm-dropCursor': { borderLeftColor: 'var(--text)' },
  '.cm-gutters': {
    backgroundColor: 'var(--surface-2)',
    color: 'var(--muted)',
    borderRight: '1px solid var(--border)',
    borderRadius: '8px 0 0 8px',
  },
  '.cm-activeLine': { backgroundColor: 'color-mix(in srgb, var(--accent-soft) 55%, transparent)' },
  '.cm-activeLineGutter': { backgroundColor: 'var(--accent-soft)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': {
    backgroundColor: 'color-mix(in srgb, var(--accent) 30%, transparent)',
  },
  '.cm-panels': { backgroundColor: 'var(--surface-2)', color: 'var(--text)' },
  '.cm-searchMatch': { backgroundColor: 'var(--wait-bg)' },
});

const highlight = HighlightStyle.define([
  { tag: [tags.keyword, tags.operatorKeyword, tags.modifier], color: 'var(--hl-keyword)' },
  { tag: [tags.string, tags.special(tags.string), tags.regexp], color: 'var(--hl-string)' },
  { tag: [tags.number, tags.bool, tags.null, tags.atom], color: 'var(--hl-number)' },
  { tag: [tags.heading, tags.function(tags.variableName), tags.typeName], color: 'var(--hl-title)' },
  { tag: [tags.propertyName, tags.attributeName, tags.link, tags.url], color: 'var(--hl-attr)' },
  { tag: [tags.comment, tags.quote], color: 'var(--muted)', fontStyle: 'italic' },
  { tag: tags.strong, fontWeight: 'bold' },
  { tag: tags.emphasis, fontStyle: 'italic' },
  { tag: tags.heading, fontWeight: 'bold' },
]);

/** Each language loads when a file of it is first edited (Markdown brings HTML, CSS and JS with it). */
const LANGUAGES: Record<ReturnType<typeof editorLanguage>, () => Promise<Extension>> = {
  markdown: () => import('@codemirror/lang-markdown').then((m) => m.markdown()),
  json: () => import('@codemirror/lang-json').then((m) => m.json()),
  javascript: () => import('@codemirror/lang-javascript').then((m) => m.javascript({ jsx: true })),
  typescript: () =>
    import('@codemirror/lang-javascript').then((m) => m.javascript({ jsx: true, typescript: true })),
  plain: async () => [],
};

/**
 * A code editor for one text (CodeMirror): line numbers, undo, search (Mod-f), bracket matching and
 * syntax colours for Markdown, JSON, JavaScript and TypeScript. Tab leaves the editor as it leaves any
 * field; Mod-s saves. Made again when `initial` changes (a reload); edits go to `onChange`.
 */
export default function TextEditor({
  initial,
  language,
  label,
  onChange,
  onSave,
}: {
  initial: string;
  language: ReturnType<typeof editorLanguage>;
  label: string;
  onChange: (text: string) => void;
  onSave: () => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const handlers = useRef({ onChange, onSave });
  handlers.current = { onChange, onSave };

  useEffect(() => {
    const save = keymap.of([
      {
        key: 'Mod-s',
        preventDefault: true,
        run: () => {
          handlers.current.onSave();
          return true;
        },
      },
    ]);
    const syntax = new Compartment();
    const view = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: initial,
        extensions: [
          Prec.high(save),
          basicSetup,
          syntax.of([]),
          theme,
          syntaxHighlighting(highlight),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({ 'aria-label': label }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) handlers.current.onChange(update.state.doc.toString());
          }),
        ],
      }),
    });
    let live = true;
    void LANGUAGES[language]().then((extension) => {
      if (live) view.dispatch({ effects: syntax.reconfigure(extension) });
    });
    return () => {
      live = false;
      view.destroy();
    };
  }, [initial, language, label]);

  return <div ref={host} className="file-editor" data-testid="file-editor" />;
}
