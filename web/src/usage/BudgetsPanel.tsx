import { type FormEvent, useState } from 'react';
import { useSession } from '../auth/SessionContext.tsx';
import { FormError, FormField, fieldError } from '../components/FormField.tsx';
import { Empty, QueryState } from '../components/states.tsx';
import { useToast } from '../components/Toasts.tsx';
import { useAgents } from '../queries/agents.ts';
import { useApiKeys } from '../queries/apiKeys.ts';
import { useMembers } from '../queries/members.ts';
import { type Budget, type BudgetInput, useBudgets, useSaveBudget } from '../queries/usage.ts';
import { scopeText, usd } from './format.ts';

type Scope = Budget['scope'];
type Period = Budget['period'];

const SCOPES: Array<{ value: Scope; label: string }> = [
  { value: 'org', label: 'The organisation' },
  { value: 'agent', label: 'An agent' },
  { value: 'user', label: 'A member' },
  { value: 'apiKey', label: 'An API key' },
];
const PERIODS: Array<{ value: Period; label: string }> = [
  { value: 'day', label: 'Per day' },
  { value: 'week', label: 'Per week (from Monday)' },
  { value: 'month', label: 'Per month' },
  { value: 'total', label: 'In total (never resets)' },
];

/** Who a budget may name: the org's agents, members and API keys, by id, with their names. */
function useScopeChoices(enabled: boolean) {
  const agents = useAgents(enabled);
  const members = useMembers();
  const keysList = useApiKeys();
  const choices: Record<Exclude<Scope, 'org'>, Array<{ id: string; name: string }>> = {
    agent: (agents.data ?? []).map((a) => ({ id: a.id, name: a.name })),
    user: (members.data ?? []).map((m) => ({ id: m.userId, name: m.name ?? m.email })),
    apiKey: (keysList.data ?? []).map((k) => ({ id: k.id, name: k.name })),
  };
  const names = new Map(Object.values(choices).flatMap((list) => list.map((c) => [c.id, c.name] as const)));
  return { choices, names };
}

/** A budget's spending this period against its limit; what calls in flight hold shows lighter. */
function Progress({ budget }: { budget: Budget }) {
  const spent = budget.limitUsd ? Math.min(100, (budget.spentUsd / budget.limitUsd) * 100) : 0;
  const held = budget.limitUsd ? Math.min(100 - spent, (budget.reservedUsd / budget.limitUsd) * 100) : 0;
  const tone = spent >= 100 ? 'bad' : budget.alertAt.some((f) => spent >= f * 100) ? 'wait' : 'ok';
  return (
    <div
      className="budget-track"
      role="img"
      aria-label={`${usd(budget.spentUsd)} of ${usd(budget.limitUsd)} spent`}
    >
      <span className={`budget-fill tone-${tone}`} style={{ width: `${spent}%` }} />
      <span className="budget-held" style={{ width: `${held}%` }} />
      {budget.alertAt.map((f) => (
        <span
          key={f}
          className="budget-mark"
          style={{ left: `${f * 100}%` }}
          title={`alert at ${f * 100}%`}
        />
      ))}
    </div>
  );
}

function BudgetForm({
  initial,
  onDone,
  choices,
}: {
  initial?: Budget | undefined;
  onDone: () => void;
  choices: ReturnType<typeof useScopeChoices>['choices'];
}) {
  const save = useSaveBudget();
  const toast = useToast();
  const [scope, setScope] = useState<Scope>(initial?.scope ?? 'org');
  const [scopeId, setScopeId] = useState(initial?.scopeId ?? '');
  const [limit, setLimit] = useState(initial ? String(initial.limitUsd) : '');
  const [period, setPeriod] = useState<Period>(initial?.period ?? 'month');
  const [hard, setHard] = useState(initial?.hard ?? true);
  const [alerts, setAlerts] = useState(
    (initial?.alertAt ?? [0.8]).map((f) => Math.round(f * 100)).join(', '),
  );

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body: BudgetInput = {
      scope,
      ...(scope === 'org' ? { scopeId: null } : { scopeId }),
      limitUsd: Number(limit),
      period,
      hard,
      alertAt: alerts
        .split(',')
        .map((s) => Number(s.trim()) / 100)
        .filter((f) => Number.isFinite(f) && f > 0),
    };
    save.mutate(
      { ...(initial ? { id: initial.id } : {}), body },
      {
        onSuccess: () => {
          toast.notify(initial ? 'Budget changed' : 'Budget created');
          onDone();
        },
      },
    );
  };

  return (
    <form
      className="card form budget-form"
      onSubmit={submit}
      aria-label={initial ? 'Change budget' : 'New budget'}
    >
      <div className="form-row">
        <FormField label="Limits" error={fieldError(save.error, 'scope')}>
          {(field) => (
            <select {...field} value={scope} onChange={(e) => setScope(e.target.value as Scope)}>
              {SCOPES.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          )}
        </FormField>
        {scope !== 'org' ? (
          <FormField label="Which" error={fieldError(save.error, 'scopeId')}>
            {(field) => (
              <select {...field} value={scopeId} required onChange={(e) => setScopeId(e.target.value)}>
                <option value="">Choose…</option>
                {choices[scope].map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
            )}
          </FormField>
        ) : null}
      </div>
      <div className="form-row">
        <FormField label="Limit (USD)" error={fieldError(save.error, 'limitUsd')}>
          {(field) => (
            <input
              {...field}
              type="number"
              min="0.000001"
              step="any"
              required
              value={limit}
              onChange={(e) => setLimit(e.target.value)}
            />
          )}
        </FormField>
        <FormField label="Period" error={fieldError(save.error, 'period')}>
          {(field) => (
            <select {...field} value={period} onChange={(e) => setPeriod(e.target.value as Period)}>
              {PERIODS.map((p) => (
                <option key={p.value} value={p.value}>
                  {p.label}
                </option>
              ))}
            </select>
          )}
        </FormField>
        <FormField
          label="Alert at (% of the limit)"
          hint="Comma-separated, e.g. 50, 80"
          error={fieldError(save.error, 'alertAt')}
        >
          {(field) => <input {...field} value={alerts} onChange={(e) => setAlerts(e.target.value)} />}
        </FormField>
      </div>
      <label className="check">
        <input type="checkbox" checked={hard} onChange={(e) => setHard(e.target.checked)} /> Hard limit:
        refuse model calls that could pass it (a soft budget only alerts)
      </label>
      <FormError error={save.error} fields={['scope', 'scopeId', 'limitUsd', 'period', 'alertAt']} />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          {initial ? 'Save budget' : 'Create budget'}
        </button>
        <button type="button" className="btn" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Budgets with their progress this period, and (with `budgets:write`) the editor. */
export function BudgetsPanel() {
  const { can } = useSession();
  const editable = can('budgets:write');
  const budgets = useBudgets();
  const { choices, names } = useScopeChoices(editable);
  const save = useSaveBudget();
  const [editing, setEditing] = useState<Budget | 'new' | undefined>();

  return (
    <section aria-labelledby="budgets-heading">
      <div className="section-head">
        <h2 id="budgets-heading">Budgets</h2>
        {editable && !editing ? (
          <button type="button" className="btn btn-small" onClick={() => setEditing('new')}>
            New budget
          </button>
        ) : null}
      </div>
      {editing ? (
        <BudgetForm
          initial={editing === 'new' ? undefined : editing}
          choices={choices}
          onDone={() => setEditing(undefined)}
        />
      ) : null}
      <QueryState query={budgets}>
        {(items) =>
          items.length === 0 ? (
            <Empty title="No budgets">
              A hard budget refuses model calls before they could spend past it; a soft one only alerts.
            </Empty>
          ) : (
            <ul className="budget-list">
              {items.map((b) => (
                <li key={b.id} className="card budget" data-testid={`budget-${b.id}`}>
                  <div className="budget-head">
                    <strong>{scopeText(b, names)}</strong>
                    <span className="muted">
                      {b.period === 'total' ? 'in total' : `per ${b.period}`} · {b.hard ? 'hard' : 'soft'}
                      {b.source === 'plan' ? ' · from the billing plan' : ''}
                    </span>
                    <span className="budget-figure" data-testid="budget-spent">
                      {usd(b.spentUsd)} of {usd(b.limitUsd)}
                    </span>
                  </div>
                  <Progress budget={b} />
                  <div className="budget-foot muted">
                    {b.reservedUsd ? `${usd(b.reservedUsd)} held by calls in flight · ` : ''}
                    {b.resetsAt ? `resets ${new Date(b.resetsAt).toLocaleString()}` : 'never resets'}
                    {editable && b.source === 'manual' ? (
                      <span className="budget-actions">
                        <button type="button" className="btn btn-small" onClick={() => setEditing(b)}>
                          Change
                        </button>
                        <button
                          type="button"
                          className="btn btn-small btn-danger"
                          disabled={save.isPending}
                          onClick={() => save.mutate({ id: b.id, remove: true })}
                        >
                          Delete
                        </button>
                      </span>
                    ) : null}
                  </div>
                </li>
              ))}
            </ul>
          )
        }
      </QueryState>
    </section>
  );
}
