import { type FormEvent, useState } from 'react';
import { FormError, FormField, fieldError } from '../components/FormField.tsx';
import { Empty, MoreButton, QueryState, StatusBadge, TimeAgo } from '../components/states.tsx';
import { useToast } from '../components/Toasts.tsx';
import {
  type BillingEvent,
  type Plan,
  useBillingEvents,
  usePlans,
  useReplayEvent,
  useSavePlan,
} from '../queries/billing.ts';
import { pagedItems } from '../queries/paging.ts';
import { usd } from '../usage/format.ts';

const optionalNumber = (text: string) => (text.trim() === '' ? null : Number(text));

function PlanForm({ initial, onDone }: { initial?: Plan | undefined; onDone: () => void }) {
  const save = useSavePlan();
  const toast = useToast();
  const [id, setId] = useState(initial?.id ?? '');
  const [name, setName] = useState(initial?.name ?? '');
  const [price, setPrice] = useState(initial ? String(initial.priceUsdMonthly) : '0');
  const [stripePriceId, setStripePriceId] = useState(initial?.stripePriceId ?? '');
  const [budget, setBudget] = useState(initial?.limits.monthlyBudgetUsd?.toString() ?? '');
  const [seats, setSeats] = useState(initial?.limits.seats?.toString() ?? '');
  const [agents, setAgents] = useState(initial?.limits.agents?.toString() ?? '');

  function submit(e: FormEvent) {
    e.preventDefault();
    save.mutate(
      {
        id: id.trim(),
        body: {
          name: name.trim(),
          priceUsdMonthly: Number(price),
          stripePriceId: stripePriceId.trim() || null,
          limits: {
            monthlyBudgetUsd: optionalNumber(budget),
            seats: optionalNumber(seats),
            agents: optionalNumber(agents),
          },
        },
      },
      {
        onSuccess: () => {
          toast.notify(`Plan ${name.trim()} saved; its limits apply to its organisations now`);
          onDone();
        },
      },
    );
  }

  const err = save.error;
  return (
    <form
      className="card budget-form"
      onSubmit={submit}
      aria-label={initial ? `Edit plan ${initial.id}` : 'New plan'}
    >
      <div className="form-row">
        <FormField
          label="Id"
          hint="default: the plan of organisations without a subscription"
          error={fieldError(err, 'id')}
        >
          {(p) => (
            <input {...p} value={id} disabled={!!initial} onChange={(e) => setId(e.target.value)} required />
          )}
        </FormField>
        <FormField label="Name" error={fieldError(err, 'name')}>
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required />}
        </FormField>
        <FormField label="Price a month (USD)" error={fieldError(err, 'priceUsdMonthly')}>
          {(p) => (
            <input
              {...p}
              type="number"
              min="0"
              step="0.01"
              value={price}
              onChange={(e) => setPrice(e.target.value)}
            />
          )}
        </FormField>
        <FormField
          label="Stripe price id"
          hint="needed to sell it through Checkout"
          error={fieldError(err, 'stripePriceId')}
        >
          {(p) => <input {...p} value={stripePriceId} onChange={(e) => setStripePriceId(e.target.value)} />}
        </FormField>
      </div>
      <div className="form-row">
        <FormField
          label="Monthly budget (USD)"
          hint="empty: none"
          error={fieldError(err, 'limits.monthlyBudgetUsd')}
        >
          {(p) => (
            <input
              {...p}
              type="number"
              min="0"
              step="0.01"
              value={budget}
              onChange={(e) => setBudget(e.target.value)}
            />
          )}
        </FormField>
        <FormField label="Seats" hint="empty: any number" error={fieldError(err, 'limits.seats')}>
          {(p) => (
            <input
              {...p}
              type="number"
              min="0"
              step="1"
              value={seats}
              onChange={(e) => setSeats(e.target.value)}
            />
          )}
        </FormField>
        <FormField label="Agents" hint="empty: any number" error={fieldError(err, 'limits.agents')}>
          {(p) => (
            <input
              {...p}
              type="number"
              min="0"
              step="1"
              value={agents}
              onChange={(e) => setAgents(e.target.value)}
            />
          )}
        </FormField>
      </div>
      <FormError error={err} fields={['id', 'name', 'priceUsdMonthly', 'stripePriceId', 'limits']} />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={save.isPending}>
          Save plan
        </button>
        <button type="button" className="btn" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function PlanEditor({ plans }: { plans: Plan[] }) {
  const [editing, setEditing] = useState<Plan | 'new'>();
  const save = useSavePlan();
  const toast = useToast();
  return (
    <section aria-labelledby="plan-editor-heading">
      <div className="section-head">
        <h2 id="plan-editor-heading">Plans you sell</h2>
        <button type="button" className="btn btn-small" onClick={() => setEditing('new')}>
          New plan
        </button>
      </div>
      {editing ? (
        <PlanForm
          key={editing === 'new' ? 'new' : editing.id}
          initial={editing === 'new' ? undefined : editing}
          onDone={() => setEditing(undefined)}
        />
      ) : null}
      {plans.length === 0 ? (
        <Empty title="No plans yet">Organisations have no limits until you define plans.</Empty>
      ) : (
        <div className="card table-wrap">
          <table className="table" data-testid="plan-table">
            <thead>
              <tr>
                <th>Plan</th>
                <th className="num">Price</th>
                <th>Stripe price</th>
                <th className="num">Budget</th>
                <th className="num">Seats</th>
                <th className="num">Agents</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {plans.map((p) => (
                <tr key={p.id}>
                  <td>
                    {p.name} <code>{p.id}</code>
                  </td>
                  <td className="num">{usd(p.priceUsdMonthly)}</td>
                  <td>
                    {p.stripePriceId ? <code>{p.stripePriceId}</code> : <span className="muted">—</span>}
                  </td>
                  <td className="num">
                    {p.limits.monthlyBudgetUsd === null ? '—' : usd(p.limits.monthlyBudgetUsd)}
                  </td>
                  <td className="num">{p.limits.seats ?? '—'}</td>
                  <td className="num">{p.limits.agents ?? '—'}</td>
                  <td>
                    <span className="row-actions">
                      <button type="button" className="btn btn-small" onClick={() => setEditing(p)}>
                        Edit
                      </button>
                      <button
                        type="button"
                        className="btn btn-small btn-danger"
                        onClick={() => {
                          if (!window.confirm(`Delete plan ${p.name}?`)) return;
                          save.mutate({ id: p.id, remove: true }, { onError: (err) => toast.fail(err) });
                        }}
                      >
                        Delete
                      </button>
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

const STATUSES: Array<BillingEvent['status'] | ''> = ['', 'received', 'processed', 'failed'];

function EventStore() {
  const [type, setType] = useState('');
  const [status, setStatus] = useState<BillingEvent['status'] | ''>('');
  const events = useBillingEvents({ ...(type ? { type } : {}), ...(status ? { status } : {}) }, true);
  const replay = useReplayEvent();
  const toast = useToast();
  const items = pagedItems(events.data);
  return (
    <section aria-labelledby="events-heading">
      <div className="section-head">
        <h2 id="events-heading">Stripe events</h2>
        <span className="section-filters">
          <input
            aria-label="Event type"
            placeholder="type, e.g. invoice.paid"
            value={type}
            onChange={(e) => setType(e.target.value.trim())}
          />
          <select
            aria-label="Event status"
            value={status}
            onChange={(e) => setStatus(e.target.value as BillingEvent['status'] | '')}
          >
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s || 'any status'}
              </option>
            ))}
          </select>
        </span>
      </div>
      <QueryState query={events}>
        {() =>
          items.length === 0 ? (
            <Empty title="No Stripe events" />
          ) : (
            <div className="card table-wrap">
              <table className="table" data-testid="billing-events">
                <thead>
                  <tr>
                    <th>Received</th>
                    <th>Type</th>
                    <th>Status</th>
                    <th>Organisation</th>
                    <th>Outcome</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {items.map((e) => (
                    <tr key={e.id}>
                      <td>
                        <TimeAgo iso={e.receivedAt} />
                      </td>
                      <td>
                        <code>{e.type}</code>
                      </td>
                      <td>
                        <StatusBadge status={e.status} />
                      </td>
                      <td>{e.orgId ? <code>{e.orgId}</code> : <span className="muted">—</span>}</td>
                      <td className="wrap">{e.error ?? e.outcome ?? '—'}</td>
                      <td>
                        <button
                          type="button"
                          className="btn btn-small"
                          disabled={replay.isPending}
                          onClick={() =>
                            replay.mutate(e.id, {
                              onSuccess: (r) =>
                                toast.notify(`Replayed ${r.id}: ${r.error ?? r.outcome ?? r.status}`),
                              onError: (err) => toast.fail(err),
                            })
                          }
                        >
                          Replay
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <MoreButton query={events} small />
            </div>
          )
        }
      </QueryState>
    </section>
  );
}

/** For the operator's admins: the plans they sell and every Stripe event with its processing. */
export function OperatorPanel() {
  const plans = usePlans();
  if (!plans.data?.editable) return null;
  return (
    <div className="billing-operator">
      <PlanEditor plans={plans.data.items} />
      <EventStore />
    </div>
  );
}

/** An org owner's own Stripe events (operators see every org's in OperatorPanel). */
export function OwnEvents() {
  const plans = usePlans();
  if (!plans.data || plans.data.editable) return null;
  return <EventStore />;
}
