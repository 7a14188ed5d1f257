import { describe, expect, it } from 'vitest';
import { scanText } from './secrets-scan.ts';
import { testPassword } from './users.ts';

describe('the secrets scanner', () => {
  const jwt = 'eyJhbGciOiJFZERTQSIsImtpZCI6ImtleSJ9.eyJzdWIiOiJ1c3JfMDFtODQifQ.c2lnbmF0dXJlc2lnbmF0dXJl';
  it.each([
    ['access token (JWT)', `{"msg":"auth","authorization":"Bearer ${jwt}"}`],
    ['refresh token', '{"refreshToken":"rt_abcdefghijklmnopqrstuvwxyz0123456789ABCD"}'],
    ['API key', '{"key":"sbk_abcdefghijklmnopqrstuvwxyz0123456789ABCD"}'],
    ['password hash', '{"row":"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"}'],
    ['test password', `{"body":{"password":"${testPassword()}"}}`],
  ])('finds a %s', (kind, line) => {
    expect(scanText(`{"ok":1}\n${line}\n`, 'x.ndjson')).toEqual([{ file: 'x.ndjson', line: 2, kind }]);
  });

  it('passes ordinary request logs', () => {
    const line =
      '{"level":30,"reqId":"req_abc","req":{"method":"POST","url":"/api/v1/auth/login","ip":"127.0.0.1"},"msg":"incoming request"}';
    expect(scanText(line, 'x.ndjson')).toEqual([]);
  });
});
