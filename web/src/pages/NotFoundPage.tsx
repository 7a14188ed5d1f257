import { Link } from 'react-router';
import { Empty } from '../components/states.tsx';

export function NotFoundPage() {
  return (
    <Empty title="There is no page here">
      <Link to="/">Back to the dashboard</Link>
    </Empty>
  );
}
