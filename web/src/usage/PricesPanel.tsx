import { type FormEvent, useState } from 'react';
import { useSession } from '../auth/SessionContext.tsx';
import { FormError } from '../components/FormField.tsx';
import { QueryState } from '../components/states.tsx';
import { type ModelPrice, usePrices, useSavePrice } from '../queries/usage.ts';

const FIELDS = [
  ['inputPerMTok', 'Input'],
  ['cachedInputPerMTok', 'Cached input'],
  ['outputPerMTok', 'Output'],
] as const;

/** One price row, editable in place by those who may change budgets. */
function PriceRow({ price, editable }: { price: ModelPrice; editable: boolean }) {
  const save = useSavePrice();
  const [editing, setEditing] = useState(false);
  const [values, setValues] = useState(() => FIELDS.map(([key]) => String(price[key])));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const [inputPerMTok, cachedInputPerMTok, outputPerMTok] = values.map(Number) as [number, number, number];
    save.mutate(
      { model: price.model, price: { inputPerMTok, cachedInputPerMTok, outputPerMTok } },
      { onSuccess: () => setEditing(false) },
    );
  };

  if (editing) {
    return (
      <tr>
        <td>
          <code>{price.model}</code>
        </td>
        <td colSpan={4}>
          <form className="price-form" onSubmit={submit} aria-label={`Price of ${price.model}`}>
            {FIELDS.map(([key, label], i) => (
              <label key={key}>
                {label}
                <input
                  type="number"
                  min="0"
                  step="any"
                  required
                  value={values[i]}
                  onChange={(e) => setValues((v) => v.map((x, j) => (j === i ? e.target.value : x)))}
                />
              </label>
            ))}
            <button type="submit" className="btn btn-small btn-primary" disabled={save.isPending}>
              Save
            </button>
            <button type="button" className="btn btn-small" onClick={() => setEditing(false)}>
              Cancel
            </button>
            <FormError error={save.error} fields={[]} />
          </form>
        </td>
      </tr>
    );
  }
  return (
    <tr data-testid={`price-${price.model}`}>
      <td>
        <code>{price.model}</code>
      </td>
      {FIELDS.map(([key]) => (
        <td key={key} className="num">
          ${price[key]}
        </td>
      ))}
      <td>
        {price.source === 'org' ? (
          <span className="pill">your price</span>
        ) : (
          <span className="muted">built in</span>
        )}
        {editable ? (
          <span className="row-actions">
            <button type="button" className="btn btn-small" onClick={() => setEditing(true)}>
              Edit
            </button>
            {price.source === 'org' ? (
              <button
                type="button"
                className="btn btn-small"
                disabled={save.isPending}
                onClick={() => save.mutate({ model: price.model })}
                title={
                  price.defaultPrice
                    ? 'Back to the built-in price'
                    : 'Drop this price (calls then cost nothing)'
                }
              >
                Reset
              </button>
            ) : null}
          </span>
        ) : null}
      </td>
    </tr>
  );
}

/** Model prices in USD per million tokens: the built-in ones, and the org's own. */
export function PricesPanel() {
  const { can } = useSession();
  const prices = usePrices();
  return (
    <section aria-labelledby="prices-heading">
      <div className="section-head">
        <h2 id="prices-heading">Prices</h2>
        <span className="muted small-inline">
          USD per million tokens; calls are costed at the price in force then
        </span>
      </div>
      <QueryState query={prices}>
        {(items) => (
          <div className="card table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th>Model</th>
                  <th className="num">Input</th>
                  <th className="num">Cached input</th>
                  <th className="num">Output</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {items.map((p) => (
                  <PriceRow key={`${p.model}:${p.updatedAt}`} price={p} editable={can('budgets:write')} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
    </section>
  );
}
