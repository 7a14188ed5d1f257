/** Small line icons in the text's colour, so they look the same in every theme and on every system. */
export function FolderIcon({ open = false }: { open?: boolean }) {
  return (
    <svg className="file-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
      <path
        d={
          open ? 'M1.5 4.5v8h11l2-5.5h-11l-2 5.5M1.5 4.5v-2h4l1.5 1.5h5.5v3' : 'M1.5 3.5h4l1.5 1.5h7.5v8h-13z'
        }
        fill="none"
        stroke="currentColor"
        strokeWidth="1.2"
        strokeLinejoin="round"
      />
    </svg>
  );
}

export function FileIcon() {
  return (
    <svg className="file-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
      <path
        d="M3.5 1.5h6l3 3v10h-9zM9.5 1.5v3h3"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.2"
        strokeLinejoin="round"
      />
    </svg>
  );
}

export function LockIcon() {
  return (
    <svg className="file-icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
      <path
        d="M4 7.5h8v6.5h-8zM5.5 7.5v-2a2.5 2.5 0 0 1 5 0v2"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.2"
        strokeLinejoin="round"
      />
    </svg>
  );
}
