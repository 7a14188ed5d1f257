import { describe, expect, it } from 'vitest';
import { sdkSnippet } from './snippets.ts';

describe('sdkSnippet', () => {
  const dsn = 'http://0123abcd@127.0.0.1:8080/ep_1';

  it('sets up the chosen SDK with the DSN', () => {
    const node = sdkSnippet('node', dsn, 'node');
    expect(node).toContain("import * as Sentry from '@sentry/node';");
    expect(node).toContain(`dsn: "${dsn}",`);
    expect(node).toContain("release: 'node@1.0.0'");
    expect(sdkSnippet('browser', dsn)).toContain("import * as Sentry from '@sentry/browser';");
  });

  it('keeps a DSN with quotes a valid literal, and an odd platform out of the code', () => {
    const snippet = sdkSnippet('browser', `http://a'b"c@h/1`, "x'); alert(1); ('");
    expect(snippet).toContain('dsn: "http://a\'b\\"c@h/1",');
    expect(snippet).toContain("release: 'my-app@1.0.0'");
  });
});
