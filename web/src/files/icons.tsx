/** A small line icon in the text's colour, so it looks the same in every theme and on every system. */
function LineIcon({ d, size = 16 }: { d: string; size?: number }) {
  return (
    <svg className="file-icon" viewBox="0 0 16 16" width={size} height={size} aria-hidden="true">
      <path d={d} fill="none" stroke="currentColor" strokeWidth="1.2" strokeLinejoin="round" />
    </svg>
  );
}

const FOLDER = 'M1.5 3.5h4l1.5 1.5h7.5v8h-13z';
const FOLDER_OPEN = 'M1.5 4.5v8h11l2-5.5h-11l-2 5.5M1.5 4.5v-2h4l1.5 1.5h5.5v3';

export const FolderIcon = ({ open = false }: { open?: boolean }) => (
  <LineIcon d={open ? FOLDER_OPEN : FOLDER} />
);
export const FileIcon = () => <LineIcon d="M3.5 1.5h6l3 3v10h-9zM9.5 1.5v3h3" />;
export const LockIcon = () => <LineIcon d="M4 7.5h8v6.5h-8zM5.5 7.5v-2a2.5 2.5 0 0 1 5 0v2" size={14} />;
