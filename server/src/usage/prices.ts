/** A model's price in USD per million tokens: fresh input, input served from the prompt cache, output. */
export interface Price {
  inputPerMTok: number;
  cachedInputPerMTok: number;
  outputPerMTok: number;
}

const p = (inputPerMTok: number, cachedInputPerMTok: number, outputPerMTok: number): Price => ({
  inputPerMTok,
  cachedInputPerMTok,
  outputPerMTok,
});

/**
 * Built-in prices of well-known models, as their providers list them (late 2025). An org overrides
 * any of them, and prices any other model, with PUT /usage/prices/{model}. `builtin:scripted` costs
 * nothing until priced, so tests and demos can give it a price and exercise real costs.
 */
export const DEFAULT_PRICES: Readonly<Record<string, Price>> = {
  'builtin:scripted': p(0, 0, 0),
  'openai:gpt-5': p(1.25, 0.125, 10),
  'openai:gpt-5-mini': p(0.25, 0.025, 2),
  'openai:gpt-5-nano': p(0.05, 0.005, 0.4),
  'openai:gpt-4.1': p(2, 0.5, 8),
  'openai:gpt-4.1-mini': p(0.4, 0.1, 1.6),
  'openai:gpt-4.1-nano': p(0.1, 0.025, 0.4),
  'openai:gpt-4o': p(2.5, 1.25, 10),
  'openai:gpt-4o-mini': p(0.15, 0.075, 0.6),
  'openai:o3': p(2, 0.5, 8),
  'openai:o4-mini': p(1.1, 0.275, 4.4),
  'anthropic:claude-opus-4-1': p(15, 1.5, 75),
  'anthropic:claude-opus-4': p(15, 1.5, 75),
  'anthropic:claude-sonnet-4-5': p(3, 0.3, 15),
  'anthropic:claude-sonnet-4': p(3, 0.3, 15),
  'anthropic:claude-haiku-4-5': p(1, 0.1, 5),
  'anthropic:claude-3-5-haiku': p(0.8, 0.08, 4),
};

/**
 * The built-in price of a model: its own, or that of the longest listed name it extends by a dated or
 * tagged suffix (`openai:gpt-4.1-2025-04-14` is priced as `openai:gpt-4.1`).
 */
export function defaultPrice(model: string): { model: string; price: Price } | undefined {
  let name = model;
  for (;;) {
    const price = DEFAULT_PRICES[name];
    if (price) return { model: name, price };
    const cut = name.lastIndexOf('-');
    if (cut <= name.indexOf(':')) return undefined;
    name = name.slice(0, cut);
  }
}

/** What a call cost, in nano-USD. Cached input tokens are part of the input tokens and priced apart. */
export function costNanos(
  price: Price,
  tokens: { inputTokens: number; cachedInputTokens?: number | undefined; outputTokens: number },
): number {
  const cached = Math.min(tokens.cachedInputTokens ?? 0, tokens.inputTokens);
  const usd =
    (tokens.inputTokens - cached) * price.inputPerMTok +
    cached * price.cachedInputPerMTok +
    tokens.outputTokens * price.outputPerMTok;
  return Math.round(usd * 1000); // USD per million tokens × tokens × 1e9 / 1e6
}

/** Nano-USD as the API shows money: USD with up to 6 decimals. */
export const usdOf = (nanos: number): number => Math.round(nanos / 1000) / 1_000_000;
/** USD as the API takes money, in nano-USD. */
export const nanosOf = (usd: number): number => Math.round(usd * 1e9);
