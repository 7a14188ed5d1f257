import { type Framed, framed, type Subscription } from './connection.ts';
import type { ServerMessage } from './protocol.ts';
import { type HubState, push } from './state.ts';
import { statsFor } from './stats.ts';

/** Computes an org's figures once and sends each subscriber the ones its permissions allow. */
export async function sendStats(state: HubState, orgId: string, subs: Iterable<Subscription>): Promise<void> {
  const figures = await state.stats.compute(orgId);
  const at = new Date().toISOString();
  const serialized = new Map<string, Framed>();
  for (const sub of subs) {
    const p = sub.conn.principal;
    if (!p || sub.conn.done) continue;
    const data = statsFor(figures, p);
    const key = Object.keys(data).join(',');
    let text = serialized.get(key);
    if (!text) {
      text = framed(JSON.stringify({ type: 'stats_update', data, at } satisfies ServerMessage));
      serialized.set(key, text);
    }
    push(state, sub.conn, text);
  }
}

/** One dashboard tick: every org with a dashboard open on this replica. A tick still running is not doubled. */
export function createTicker(state: HubState) {
  let ticking = false;
  return async function tick(): Promise<void> {
    if (ticking) return;
    ticking = true;
    try {
      await Promise.all([...state.dashboards].map(([orgId, subs]) => sendStats(state, orgId, [...subs])));
    } catch (err) {
      state.log.error({ err }, 'realtime: dashboard tick failed');
    } finally {
      ticking = false;
    }
  };
}
