import { describe, expect, it } from 'vitest';
import { costNanos, defaultPrice, nanosOf, usdOf } from './prices.ts';

describe('prices', () => {
  it('prices fresh input, cached input and output apart', () => {
    const price = { inputPerMTok: 2, cachedInputPerMTok: 0.5, outputPerMTok: 8 };
    // 1,000 input of which 400 cached, 500 output: 600 × 2 + 400 × 0.5 + 500 × 8 = 5,400 µUSD
    expect(costNanos(price, { inputTokens: 1000, cachedInputTokens: 400, outputTokens: 500 })).toBe(
      5_400_000,
    );
    expect(usdOf(5_400_000)).toBe(0.0054);
    // More cached than input (a provider counting differently) never gives a negative input.
    expect(costNanos(price, { inputTokens: 10, cachedInputTokens: 50, outputTokens: 0 })).toBe(5_000);
  });

  it('keeps sub-micro costs exact in nano-USD, shown with six decimals', () => {
    const price = { inputPerMTok: 0.075, cachedInputPerMTok: 0, outputPerMTok: 0.3 };
    expect(costNanos(price, { inputTokens: 7, outputTokens: 3 })).toBe(1_425);
    expect(usdOf(1_425)).toBe(0.000001);
    expect(nanosOf(0.05)).toBe(50_000_000);
  });

  it('finds a dated model by the name it extends, and nothing for unknown ones', () => {
    expect(defaultPrice('openai:gpt-4.1-2025-04-14')?.model).toBe('openai:gpt-4.1');
    expect(defaultPrice('openai:gpt-4.1-mini')?.model).toBe('openai:gpt-4.1-mini');
    expect(defaultPrice('anthropic:claude-sonnet-4-20250514')?.model).toBe('anthropic:claude-sonnet-4');
    expect(defaultPrice('ollama:llama3')).toBeUndefined();
    expect(defaultPrice('openai:unknown-model')).toBeUndefined();
  });
});
