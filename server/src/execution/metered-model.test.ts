import { describe, expect, it } from 'vitest';
import { ModelUnavailableError } from '../providers/models/resolver.ts';
import { modelErrorCode } from './metered-model.ts';

describe('modelErrorCode', () => {
  it('keeps the code of a model that could not be set up', () => {
    const err = new ModelUnavailableError('provider_not_configured', 'no key for openai');
    expect(modelErrorCode(err)).toBe('provider_not_configured');
  });

  it('tells throttling and time-outs apart from other failures', () => {
    expect(modelErrorCode(Object.assign(new Error('slow down'), { status: 429 }))).toBe('model_rate_limited');
    expect(modelErrorCode(Object.assign(new Error('late'), { status: 408 }))).toBe('model_timeout');
    const timeout = Object.assign(new Error('Request timed out.'), { name: 'APIConnectionTimeoutError' });
    expect(modelErrorCode(timeout)).toBe('model_timeout');
    expect(modelErrorCode(Object.assign(new Error('broken'), { status: 500 }))).toBe('model_error');
    expect(modelErrorCode(new Error('/fail said so'))).toBe('model_error');
    expect(modelErrorCode(undefined)).toBe('model_error');
  });
});
