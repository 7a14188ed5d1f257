import { lazy, Suspense, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { Segmented } from '../components/Segmented.tsx';
import { Empty, Loading, MoreButton, PageHeader, QueryState, TimeAgo } from '../components/states.tsx';
import { useAgentName } from '../queries/agents.ts';
import { pagedItems } from '../queries/paging.ts';
import {
  type UsageGroup,
  useUsageErrors,
  useUsageLive,
  useUsageSummary,
  useUsageTimeline,
} from '../queries/usage.ts';
import { BudgetsPanel } from '../usage/BudgetsPanel.tsx';
import { count, PERIODS, type PeriodValue, rangeOf, usd } from '../usage/format.ts';
import { PricesPanel } from '../usage/PricesPanel.tsx';
import type { Metric } from '../usage/UsageCharts.tsx';

/** The charts (visx) load with the page's chart section, in a chunk of their own. */
const UsageCharts = lazy(() => import('../usage/UsageCharts.tsx').then((m) => ({ default: m.UsageCharts })));

const GROUPS: Array<{ value: UsageGroup; label: string }> = [
  { value: 'model', label: 'Models' },
  { value: 'agent', label: 'Agents' },
  { value: 'user', label: 'Members' },
  { value: 'apiKey', label: 'API keys' },
];
const METRICS: Array<{ value: Metric; label: string }> = [
  { value: 'costUsd', label: 'Cost' },
  { value: 'calls', label: 'Calls' },
  { value: 'tokens', label: 'Tokens' },
];

/** The period lives in the address (`?period=24h`), so a view can be shared and survives a reload. */
function usePeriod(): [PeriodValue, (p: PeriodValue) => void] {
  const [params, setParams] = useSearchParams();
  const chosen = PERIODS.find((p) => p.value === params.get('period'))?.value ?? '7d';
  return [chosen, (p) => setParams(p === '7d' ? {} : { period: p }, { replace: true })];
}

function Totals({
  totals,
}: {
  totals: { calls: number; errors: number; inputTokens: number; outputTokens: number; costUsd: number };
}) {
  const figures = [
    { key: 'cost', label: 'Cost', value: usd(totals.costUsd) },
    { key: 'calls', label: 'Model calls', value: count(totals.calls) },
    {
      key: 'tokens',
      label: 'Tokens in · out',
      value: `${count(totals.inputTokens)} · ${count(totals.outputTokens)}`,
    },
    { key: 'errors', label: 'Failed calls', value: count(totals.errors) },
  ];
  return (
    <ul className="stat-grid">
      {figures.map((f) => (
        <li key={f.key} className="card stat">
          <span className="stat-value" data-testid={`usage-${f.key}`}>
            {f.value}
          </span>
          <span className="stat-label">{f.label}</span>
        </li>
      ))}
    </ul>
  );
}

function ErrorsList({ range }: { range: ReturnType<typeof rangeOf> }) {
  const errors = useUsageErrors(range);
  const agentName = useAgentName();
  const items = pagedItems(errors.data);
  return (
    <section aria-labelledby="errors-heading">
      <h2 id="errors-heading">Failed model calls</h2>
      <QueryState query={errors}>
        {() =>
          items.length === 0 ? (
            <Empty title="No failed model calls in this period" />
          ) : (
            <div className="card table-wrap">
              <table className="table">
                <thead>
                  <tr>
                    <th>When</th>
                    <th>Agent</th>
                    <th>Model</th>
                    <th>Code</th>
                    <th>What happened</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((e) => (
                    <tr key={e.id}>
                      <td>
                        <TimeAgo iso={e.at} />
                      </td>
                      <td>{agentName(e.agentId)}</td>
                      <td>
                        <code>{e.model}</code>
                      </td>
                      <td>
                        <code>{e.code}</code>
                      </td>
                      <td className="wrap">{e.message}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <MoreButton query={errors} small />
            </div>
          )
        }
      </QueryState>
    </section>
  );
}

/**
 * What model calls cost: totals of the period, a timeline, the costliest models, agents, members or keys,
 * the failed calls, budgets with their progress, and the price table. Live: a call recorded anywhere in
 * the org (usage.recorded, at most once a second) or a budget alert reads the figures again.
 */
export function UsagePage() {
  const [period, setPeriod] = usePeriod();
  const [groupBy, setGroupBy] = useState<UsageGroup>('model');
  const [metric, setMetric] = useState<Metric>('costUsd');
  // The range moves with the clock only when the period changes or the page reloads its figures.
  const range = useMemo(() => rangeOf(period), [period]);
  const summary = useUsageSummary(range, groupBy);
  const timeline = useUsageTimeline(range, {});
  useUsageLive();

  return (
    <div className="page usage-page">
      <PageHeader title="Usage">
        <Segmented label="Period" options={PERIODS} value={period} onChange={setPeriod} />
      </PageHeader>
      <QueryState query={summary} loading="Adding up the period…">
        {(s) => <Totals totals={s.totals} />}
      </QueryState>

      <section aria-labelledby="trend-heading">
        <div className="section-head">
          <h2 id="trend-heading">Over time</h2>
          <Segmented label="Measure" options={METRICS} value={metric} onChange={setMetric} />
        </div>
        {timeline.data && summary.data ? (
          <Suspense fallback={<Loading label="Drawing the charts…" />}>
            <UsageCharts timeline={timeline.data} summary={summary.data} metric={metric} />
          </Suspense>
        ) : (
          <QueryState query={timeline}>{() => <Loading />}</QueryState>
        )}
      </section>

      <section aria-labelledby="top-heading">
        <div className="section-head">
          <h2 id="top-heading">Where it went</h2>
          <Segmented label="Group by" options={GROUPS} value={groupBy} onChange={setGroupBy} />
        </div>
        <QueryState query={summary}>
          {(s) =>
            s.groups.length === 0 ? (
              <Empty title="No model calls in this period" />
            ) : (
              <div className="card table-wrap">
                <table className="table" data-testid="usage-groups">
                  <thead>
                    <tr>
                      <th>{GROUPS.find((g) => g.value === groupBy)?.label.replace(/s$/, '')}</th>
                      <th className="num">Calls</th>
                      <th className="num">Failed</th>
                      <th className="num">Tokens in</th>
                      <th className="num">Cached</th>
                      <th className="num">Tokens out</th>
                      <th className="num">Cost</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.groups.map((g) => (
                      <tr key={g.key}>
                        <td>{g.label ?? <code>{g.key}</code>}</td>
                        <td className="num">{count(g.calls)}</td>
                        <td className="num">{count(g.errors)}</td>
                        <td className="num">{count(g.inputTokens)}</td>
                        <td className="num">{count(g.cachedInputTokens)}</td>
                        <td className="num">{count(g.outputTokens)}</td>
                        <td className="num">{usd(g.costUsd)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </QueryState>
      </section>

      <BudgetsPanel />
      <ErrorsList range={range} />
      <PricesPanel />
    </div>
  );
}
