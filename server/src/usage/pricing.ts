import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import { createOrgCache } from '../platform/org-cache.ts';
import * as store from './budget-store.ts';
import { UsageErrors } from './errors.ts';
import { DEFAULT_PRICES, defaultPrice, type Price } from './prices.ts';

/** A model's price as the API shows it: whose it is, and what it overrides. */
export interface PriceView extends Price {
  model: string;
  source: 'default' | 'org';
  /** The built-in price an org price overrides, if the model has one. */
  defaultPrice: Price | null;
  updatedAt: string | null;
}

const priceOf = (r: Price): Price => ({
  inputPerMTok: r.inputPerMTok,
  cachedInputPerMTok: r.cachedInputPerMTok,
  outputPerMTok: r.outputPerMTok,
});

/**
 * Model prices: the built-in defaults and each org's own. Every recorded call is costed at the price
 * in force when it was made (the cost is kept on its usage row), so changing a price never rewrites
 * history. The org's prices are cached (every model call reads one) and dropped on any change, on
 * every replica.
 */
export function createPricing(deps: { db: Db; bus: Bus }) {
  const { db } = deps;
  const cache = createOrgCache<{ prices: Map<string, store.PriceRecord> }>({
    name: 'model-prices',
    bus: deps.bus,
    orgIdOf: (_v, orgId) => orgId,
  });
  const orgPrices = async (orgId: string) =>
    (await cache.get(orgId, async () => ({
      prices: new Map((await store.listPrices(db, orgId)).map((r) => [r.model, r])),
    })))!.prices;

  return {
    /** The price of a model for the org: its own, else the built-in one, else none (the call costs 0). */
    async priceOf(orgId: string, model: string): Promise<Price | undefined> {
      const own = (await orgPrices(orgId)).get(model);
      return own ? priceOf(own) : defaultPrice(model)?.price;
    },

    /** Every priced model: the built-in list with the org's overrides, and the org's other models. */
    async list(p: Principal): Promise<PriceView[]> {
      const own = await orgPrices(p.orgId);
      const models = [...new Set([...Object.keys(DEFAULT_PRICES), ...own.keys()])].sort();
      return models.map((model) => {
        const row = own.get(model);
        const builtin = DEFAULT_PRICES[model] ?? null;
        return {
          model,
          ...priceOf(row ?? builtin!),
          source: row ? 'org' : 'default',
          defaultPrice: builtin,
          updatedAt: row?.updatedAt.toISOString() ?? null,
        };
      });
    },

    async put(p: Principal, model: string, price: Price): Promise<PriceView> {
      await cache.changing(
        p.orgId,
        store.upsertPrice(db, { orgId: p.orgId, model, ...price, updatedBy: p.id, updatedAt: new Date() }),
      );
      const view = (await this.list(p)).find((v) => v.model === model);
      return view!;
    },

    /** Drops the org's price of a model (the built-in one applies again, if any). */
    async remove(p: Principal, model: string): Promise<void> {
      const removed = await cache.changing(p.orgId, store.deletePrice(db, p.orgId, model));
      if (!removed) throw UsageErrors.priceNotFound(model);
    },

    close: () => cache.close(),
  };
}

export type Pricing = ReturnType<typeof createPricing>;
