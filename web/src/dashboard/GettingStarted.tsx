import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client.ts';
import { useSession } from '../auth/SessionContext.tsx';
import { useToast } from '../components/Toasts.tsx';
import { keys } from '../queries/keys.ts';

type StepId = 'chat' | 'provider' | 'member' | 'api_key';

/** What each step asks, and where it is done (only where the person may do it). */
function stepOf(id: StepId, can: (p: string) => boolean): { title: string; action: ReactNode } {
  switch (id) {
    case 'chat':
      return {
        title: 'Chat with an agent',
        action: can('chat:write') ? <Link to="/chat">Open chat</Link> : null,
      };
    case 'provider':
      return {
        title: 'Connect a model provider',
        action: (
          <span className="muted">
            Set <code>OPENAI_API_KEY</code> or <code>ANTHROPIC_API_KEY</code> on the server, or your org's key
            with <a href="/docs#/model-providers">PUT /api/v1/model-providers</a>; until then agents use the
            built-in test model.
          </span>
        ),
      };
    case 'member':
      return {
        title: 'Invite a member',
        action: can('members:write') ? <Link to="/settings/members">Invite someone</Link> : null,
      };
    case 'api_key':
      return {
        title: 'Create an API key',
        action: can('api_keys:write') ? <Link to="/settings/api-keys">Create a key</Link> : null,
      };
  }
}

/** The dashboard's first steps, ticked off by what the org has done; put away per person (server-side). */
export function GettingStarted() {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const toast = useToast();
  const list = useQuery({
    queryKey: keys.gettingStarted,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/getting-started', { signal })),
  });
  const dismiss = useMutation({
    mutationFn: () => unwrap(api.PUT('/api/v1/getting-started', { body: { dismissed: true } })),
    onSuccess: (data) => queryClient.setQueryData(keys.gettingStarted, data),
    onError: (err) => toast.fail(err),
  });
  if (!list.data || list.data.dismissed) return null;
  const done = list.data.steps.filter((s) => s.done).length;
  return (
    <section
      aria-labelledby="getting-started-heading"
      className="card getting-started"
      data-testid="getting-started"
    >
      <div className="card-head">
        <h2 id="getting-started-heading" className="section-title">
          Getting started{' '}
          <span className="muted small-inline">
            {done} of {list.data.steps.length} done
          </span>
        </h2>
        <button
          type="button"
          className="btn btn-ghost btn-small"
          onClick={() => dismiss.mutate()}
          disabled={dismiss.isPending}
        >
          {list.data.complete ? 'Done, hide this' : 'Hide this list'}
        </button>
      </div>
      <ul className="getting-started-steps">
        {list.data.steps.map((s) => {
          const step = stepOf(s.id, can);
          return (
            <li
              key={s.id}
              data-testid={`step-${s.id}`}
              data-done={s.done}
              className={s.done ? 'step-done' : ''}
            >
              <span className="step-mark" aria-hidden="true">
                {s.done ? '✓' : '○'}
              </span>
              <span className="step-title">
                {step.title}
                <span className="sr-only">{s.done ? ' (done)' : ' (to do)'}</span>
              </span>
              {s.done ? null : <span className="step-action">{step.action}</span>}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
