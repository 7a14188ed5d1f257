import { useSession } from '../auth/SessionContext.tsx';
import { useNotice } from '../queries/notice.ts';

/** The operator's maintenance notice, at the top of every page of every console, live. */
export function NoticeBanner() {
  const { session } = useSession();
  const notice = useNotice(session !== undefined).data?.notice;
  if (!notice) return null;
  return (
    <div
      className={`notice-banner notice-${notice.level}`}
      role={notice.level === 'warning' ? 'alert' : 'status'}
      data-testid="maintenance-notice"
    >
      <strong>{notice.level === 'warning' ? 'Maintenance: ' : 'Notice: '}</strong>
      {notice.message}
    </div>
  );
}
