import { Navigate, useParams } from 'react-router';
import { ErrorMessage, Loading } from '../components/states.tsx';
import { useFix } from '../queries/fixes.ts';

/** A fix's own address (the activity feed links to it): it opens on its issue's page, that fix shown. */
export function FixPage() {
  const { id } = useParams();
  const fix = useFix(id);
  if (fix.data)
    return (
      <Navigate
        replace
        to={`/errors/issues/${encodeURIComponent(fix.data.issueId)}?fix=${encodeURIComponent(fix.data.id)}`}
      />
    );
  if (fix.error) return <ErrorMessage error={fix.error} onRetry={() => void fix.refetch()} />;
  return <Loading label="Opening the fix…" />;
}
