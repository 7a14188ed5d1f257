import { hotkeysCoreFeature, syncDataLoaderFeature } from '@headless-tree/core';
import { useTree } from '@headless-tree/react';
import { useEffect, useMemo, useState } from 'react';
import { ErrorMessage } from '../components/states.tsx';
import { type FileEntry, useFolders } from '../queries/files.ts';
import { FileIcon, FolderIcon, LockIcon } from './icons.tsx';
import { nameOf } from './kinds.ts';

interface Node {
  path: string;
  name: string;
  type: 'file' | 'folder';
  access: 'read' | 'write';
}

const ROOT: Node = { path: '/', name: 'Files', type: 'folder', access: 'read' };

/** `/a/b/c` -> `/`, `/a`, `/a/b`: the folders to open so that a path shows. */
export function foldersAbove(path: string): string[] {
  const out = ['/'];
  const parts = path.split('/').filter(Boolean);
  for (let i = 1; i < parts.length; i++) out.push(`/${parts.slice(0, i).join('/')}`);
  return out;
}

/**
 * The org's files as a tree (headless-tree does the keyboard and ARIA work: arrows move and open,
 * Home and End jump, Enter or a click opens). A folder's contents are read when it is first expanded,
 * and again whenever the files change (the page listens on the `files` channel).
 */
export function FileTree({
  selected,
  onOpen,
  dropTarget,
}: {
  selected: string;
  onOpen: (path: string, type: 'file' | 'folder') => void;
  /** The folder a drag is over, highlighted. */
  dropTarget?: string | undefined;
}) {
  const [expanded, setExpanded] = useState<string[]>(() => foldersAbove(selected));
  // The root is not drawn: with it chosen, the keyboard starts from the first entry.
  const [focused, setFocused] = useState<string | null>(selected === '/' ? null : selected);
  // A path opened from elsewhere (search, a link) shows with its folders open, and the keyboard goes on from it.
  useEffect(() => {
    setExpanded((open) => [...new Set([...open, ...foldersAbove(selected)])]);
    setFocused(selected === '/' ? null : selected);
  }, [selected]);

  const open = useMemo(() => ['/', ...expanded.filter((p) => p !== '/')], [expanded]);
  const folders = useFolders(open);
  const { items, children, loading } = useMemo(() => {
    const items = new Map<string, Node>([['/', ROOT]]);
    const children = new Map<string, string[]>();
    const loading = new Set<string>();
    open.forEach((path, i) => {
      const listing = folders.listings[i];
      if (listing) {
        children.set(
          path,
          listing.children.map((c: FileEntry) => c.path),
        );
        for (const c of listing.children) items.set(c.path, c);
      } else if (folders.pending[i]) loading.add(path);
    });
    return { items, children, loading };
  }, [open, folders.listings, folders.pending]);

  const tree = useTree<Node>({
    rootItemId: '/',
    state: { expandedItems: expanded, focusedItem: focused },
    setExpandedItems: setExpanded,
    setFocusedItem: setFocused,
    getItemName: (item) => item.getItemData().name,
    isItemFolder: (item) => item.getItemData().type === 'folder',
    dataLoader: {
      getItem: (id) => items.get(id) ?? { path: id, name: nameOf(id), type: 'folder', access: 'read' },
      getChildren: (id) => children.get(id) ?? [],
    },
    onPrimaryAction: (item) => onOpen(item.getId(), item.getItemData().type),
    indent: 16,
    features: [syncDataLoaderFeature, hotkeysCoreFeature],
  });
  // biome-ignore lint/correctness/useExhaustiveDependencies: the tree is rebuilt when what it shows changes
  useEffect(() => tree.rebuildTree(), [tree, items, children]);

  if (folders.error) return <ErrorMessage error={folders.error} />;
  const shown = tree.getItems();
  return (
    <div {...tree.getContainerProps('Files')} className="file-tree" data-testid="file-tree">
      {shown.map((item) => {
        const node = item.getItemData();
        const level = item.getItemMeta().level;
        const folder = node.type === 'folder';
        return (
          <button
            type="button"
            role="treeitem"
            {...item.getProps()}
            key={item.getId()}
            aria-selected={item.getId() === selected}
            className={[
              'tree-item',
              item.getId() === selected ? 'tree-item-selected' : '',
              item.getId() === dropTarget ? 'tree-item-drop' : '',
            ].join(' ')}
            style={{ paddingLeft: `${8 + level * 16}px` }}
            data-path={item.getId()}
            data-folder={folder}
          >
            <span className="tree-twisty" aria-hidden="true">
              {folder ? (item.isExpanded() ? '▾' : '▸') : ''}
            </span>
            {folder ? <FolderIcon open={item.isExpanded()} /> : <FileIcon />}
            <span className="tree-name">{item.getItemName()}</span>
            {node.access === 'read' && node.path !== '/' ? (
              <span className="tree-lock" title="You may read this, not change it">
                <LockIcon />
                <span className="sr-only"> (read only)</span>
              </span>
            ) : null}
            {loading.has(item.getId()) && item.isExpanded() ? (
              <span className="spinner tree-spinner" role="status" aria-label="Loading" />
            ) : null}
          </button>
        );
      })}
      {shown.length === 0 && children.get('/')?.length === 0 ? (
        <p className="muted small tree-empty">No files yet.</p>
      ) : null}
    </div>
  );
}
