import { useState } from 'react';
import { Empty, QueryState, StatusBadge, TimeAgo } from '../components/states.tsx';
import { useToast } from '../components/Toasts.tsx';
import {
  type Plan,
  type Subscription,
  useCancelSubscription,
  useChoosePlan,
  useInvoices,
  useOpenPortal,
  usePlans,
  useSubscription,
} from '../queries/billing.ts';
import { usd } from '../usage/format.ts';

const LIVE = ['active', 'trialing', 'past_due'];

const some = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

const limitText = (plan: Plan) =>
  [
    plan.limits.seats === null ? 'any number of seats' : some(plan.limits.seats, 'seat'),
    plan.limits.agents === null ? 'any number of agents' : some(plan.limits.agents, 'agent'),
    plan.limits.monthlyBudgetUsd === null
      ? 'no monthly budget'
      : `${usd(plan.limits.monthlyBudgetUsd)} of model spend a month`,
  ].join(' · ');

/** One limit of the plan in force: what is used against what the plan allows. */
function Meter({
  label,
  used,
  limit,
  money,
  testId,
}: {
  label: string;
  used: number;
  limit: number | null;
  money?: boolean;
  testId: string;
}) {
  const show = (n: number) => (money ? usd(n) : String(n));
  const share = limit ? Math.min(100, (used / limit) * 100) : 0;
  const tone = limit !== null && used >= limit ? 'bad' : share >= 80 ? 'wait' : 'ok';
  return (
    <li className="budget">
      <div className="budget-head">
        <strong>{label}</strong>
        <span className="budget-figure" data-testid={testId}>
          {limit === null ? `${show(used)} · no limit` : `${show(used)} of ${show(limit)}`}
        </span>
      </div>
      {limit === null ? null : (
        <div className="budget-track" role="img" aria-label={`${show(used)} of ${show(limit)}`}>
          <span className={`budget-fill tone-${tone}`} style={{ width: `${share}%` }} />
        </div>
      )}
    </li>
  );
}

function Current({ sub }: { sub: Subscription }) {
  const portal = useOpenPortal();
  const cancel = useCancelSubscription();
  const toast = useToast();
  const live = LIVE.includes(sub.status);
  const planName = sub.plan?.name ?? 'No plan';
  return (
    <section className="card billing-current" aria-labelledby="current-heading" style={{ marginTop: 0 }}>
      <div className="section-head">
        <h2 id="current-heading">
          Current plan: <span data-testid="billing-plan">{planName}</span>
        </h2>
        {sub.status === 'none' ? null : <StatusBadge status={sub.status} testId="billing-status" />}
      </div>
      <p className="muted">
        {sub.plan ? limitText(sub.plan) : 'No plan applies, so nothing is limited.'}
        {sub.plan && !live ? ' (the operator’s default plan)' : ''}
        {sub.pendingPlanId ? ` Waiting for Stripe to confirm the ${sub.pendingPlanId} plan.` : ''}
        {sub.cancelAtPeriodEnd && sub.currentPeriodEnd
          ? ` Ends ${new Date(sub.currentPeriodEnd).toLocaleDateString()}.`
          : sub.currentPeriodEnd
            ? ` Renews ${new Date(sub.currentPeriodEnd).toLocaleDateString()}.`
            : ''}
      </p>
      <ul className="budget-list" aria-label="Usage against the plan">
        <Meter
          label="Seats"
          testId="billing-seats"
          used={sub.usage.seats.used}
          limit={sub.usage.seats.limit}
        />
        <Meter
          label="Agents"
          testId="billing-agents"
          used={sub.usage.agents.used}
          limit={sub.usage.agents.limit}
        />
        <Meter
          label="Model spend this month"
          testId="billing-budget"
          money
          used={sub.usage.monthlyBudgetUsd.used}
          limit={sub.usage.monthlyBudgetUsd.limit}
        />
      </ul>
      <div className="form-actions">
        {sub.checkout ? (
          <button
            type="button"
            className="btn"
            disabled={portal.isPending || sub.gateway !== 'stripe'}
            onClick={() =>
              portal.mutate(undefined, {
                onSuccess: (r) => window.location.assign(r.url),
                onError: (err) => toast.fail(err),
              })
            }
          >
            Manage card and invoices
          </button>
        ) : null}
        {live && !sub.cancelAtPeriodEnd ? (
          <button
            type="button"
            className="btn btn-danger"
            disabled={cancel.isPending}
            onClick={() => {
              if (
                !window.confirm(
                  sub.gateway === 'stripe' ? 'Cancel at the end of the period?' : 'End the plan now?',
                )
              )
                return;
              cancel.mutate(undefined, {
                onError: (err) => toast.fail(err),
              });
            }}
          >
            Cancel subscription
          </button>
        ) : null}
      </div>
    </section>
  );
}

function Choose({ sub, plans }: { sub: Subscription; plans: Plan[] }) {
  const choose = useChoosePlan();
  const toast = useToast();
  const [choosing, setChoosing] = useState<string>();
  const live = LIVE.includes(sub.status);
  if (plans.length === 0) return <Empty title="The operator has defined no plans yet" />;
  return (
    <ul className="plan-grid" aria-label="Plans">
      {plans.map((plan) => {
        const current = live && sub.planId === plan.id;
        return (
          <li
            key={plan.id}
            className={`card plan ${current ? 'plan-current' : ''}`}
            data-testid={`plan-${plan.id}`}
          >
            <strong>{plan.name}</strong>
            <span className="plan-price">{usd(plan.priceUsdMonthly)} / month</span>
            <span className="muted">{limitText(plan)}</span>
            <button
              type="button"
              className="btn btn-primary btn-small"
              disabled={current || choose.isPending || (sub.checkout && !plan.stripePriceId)}
              aria-label={`Choose ${plan.name}`}
              onClick={() => {
                setChoosing(plan.id);
                choose.mutate(
                  { planId: plan.id, change: live && (sub.gateway === 'stripe' || !sub.checkout) },
                  {
                    onSuccess: (r) => {
                      if (r.checkoutUrl) window.location.assign(r.checkoutUrl);
                      else toast.notify(`The ${plan.name} plan is in force`);
                    },
                    onError: (err) => toast.fail(err),
                    onSettled: () => setChoosing(undefined),
                  },
                );
              }}
            >
              {current
                ? 'Current plan'
                : choosing === plan.id
                  ? 'Choosing…'
                  : sub.checkout && !live
                    ? 'Subscribe'
                    : 'Choose'}
            </button>
          </li>
        );
      })}
    </ul>
  );
}

function Invoices() {
  const invoices = useInvoices();
  return (
    <QueryState query={invoices}>
      {(items) =>
        items.length === 0 ? (
          <Empty title="No invoices yet" />
        ) : (
          <div className="card table-wrap">
            <table className="table" data-testid="billing-invoices">
              <thead>
                <tr>
                  <th>Invoice</th>
                  <th>Status</th>
                  <th className="num">Due</th>
                  <th className="num">Paid</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {items.map((i) => (
                  <tr key={i.id}>
                    <td>
                      {i.hostedInvoiceUrl ? (
                        <a href={i.hostedInvoiceUrl} target="_blank" rel="noreferrer">
                          <code>{i.id}</code>
                        </a>
                      ) : (
                        <code>{i.id}</code>
                      )}
                    </td>
                    <td>
                      <StatusBadge status={i.status === 'paid' ? 'paid' : 'payment failed'} />
                    </td>
                    <td className="num">{usd(i.amountDueUsd)}</td>
                    <td className="num">{usd(i.amountPaidUsd)}</td>
                    <td>
                      <TimeAgo iso={i.updatedAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      }
    </QueryState>
  );
}

/** The org's plan with its usage, the plans to choose from, and the invoices Stripe reported. */
export function SubscriptionPanel() {
  const sub = useSubscription();
  const plans = usePlans();
  return (
    <>
      <QueryState query={sub} loading="Reading the subscription…">
        {(s) => <Current sub={s} />}
      </QueryState>
      <section aria-labelledby="plans-heading">
        <h2 id="plans-heading">Plans</h2>
        <QueryState query={sub}>
          {(s) => <QueryState query={plans}>{(p) => <Choose sub={s} plans={p.items} />}</QueryState>}
        </QueryState>
      </section>
      <section aria-labelledby="invoices-heading">
        <h2 id="invoices-heading">Invoices</h2>
        <Invoices />
      </section>
    </>
  );
}
