import { describe, expect, it } from 'vitest';
import { securityHeaders } from './security-headers.ts';

describe('securityHeaders', () => {
  it("fixes helmet's headers for static options", () => {
    const headers = securityHeaders({ contentSecurityPolicy: { directives: { scriptSrc: ["'self'"] } } });
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['strict-transport-security']).toMatch(/^max-age=\d+/);
    expect(headers).not.toHaveProperty('x-powered-by');
    expect(Object.isFrozen(headers)).toBe(true);
  });

  it('refuses options whose values depend on the request', () => {
    const nonce = (req: unknown) => `'nonce-${String((req as { id?: string }).id)}'`;
    expect(() =>
      securityHeaders({ contentSecurityPolicy: { directives: { scriptSrc: ["'self'", nonce] } } }),
    ).toThrow(/depends on the request/);
  });
});
