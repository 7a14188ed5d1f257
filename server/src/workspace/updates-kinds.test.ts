import { describe, expect, it } from 'vitest';
import { AUDIT_UPDATES, auditActionsFor, RUN_KINDS } from './updates-kinds.ts';
import { decodeFeedCursor, encodeFeedCursor } from './updates-service.ts';

const summary = (action: string, facts: { id?: string; name?: string; details?: Record<string, unknown> }) =>
  AUDIT_UPDATES[action]!.summary({ id: facts.id ?? null, name: facts.name, details: facts.details ?? {} });

describe('feed summaries', () => {
  it('name a subject by its name now, else by what the audit row kept, else by its id', () => {
    expect(summary('agent.create', { id: 'agt_1', name: 'Triage', details: { slug: 'triage' } })).toBe(
      'created agent Triage',
    );
    expect(summary('agent.delete', { id: 'agt_1', details: { slug: 'triage' } })).toBe(
      'deleted agent triage',
    );
    expect(summary('agent.update', { id: 'agt_1', details: { version: 3 } })).toBe(
      'updated agent agt_1 (version 3)',
    );
    expect(summary('approveInboxItem', { id: 'inb_1' })).toBe('approved a tool call');
  });

  it('say what changed where the row tells', () => {
    expect(summary('member.add', { details: { email: 'ada@example.test', role: 'viewer' } })).toBe(
      'added ada@example.test as viewer',
    );
    expect(summary('member.role_change', { name: 'Ada', details: { from: 'member', to: 'admin' } })).toBe(
      "changed Ada's role from member to admin",
    );
    expect(summary('member.role_change', { details: {} })).toBe('changed the role of a member');
    const from = ['runs:read', 'agents:read', 'inbox:read', 'tasks:read'];
    expect(summary('role.update', { name: 'ops', details: { from, to: ['runs:read', 'audit:read'] } })).toBe(
      'changed role ops (+audit:read, -agents:read, -inbox:read and 1 more)',
    );
    expect(summary('tools.http_allowlist.update', { details: { hosts: ['a.test'] } })).toBe(
      'changed the HTTP allow-list (1 host)',
    );
  });

  it('name the issue of a fix, and why a fix failed or stopped holding', () => {
    const fix = { id: 'fix_1', details: { issueId: 'iss_1', issueShortId: 'SHOP-3' } };
    expect(
      summary('fix.failed', { ...fix, details: { ...fix.details, error: { code: 'patch_conflict' } } }),
    ).toBe('the fix of SHOP-3 failed (patch_conflict)');
    expect(summary('fix.regressed', { ...fix, details: { ...fix.details, release: 'shop@2.1.0' } })).toBe(
      'the fix of SHOP-3 no longer holds: the error came back in shop@2.1.0',
    );
    expect(
      summary('issue.regress', { details: { shortId: 'SHOP-3', title: 'TypeError', fixId: 'fix_1' } }),
    ).toBe('issue SHOP-3 TypeError came back in a later release after its fix');
  });

  it('shorten a long failure and call chat runs chat turns', () => {
    const failed = RUN_KINDS.failed.summary({
      agent: 'Triage',
      source: 'chat',
      error: { message: 'x'.repeat(300) },
    });
    expect(failed).toBe(`chat turn of Triage failed: ${'x'.repeat(119)}…`);
    expect(RUN_KINDS.succeeded.summary({ agent: 'Triage', source: 'api', error: null })).toBe(
      'run of Triage succeeded',
    );
  });

  it('leave out what the reader may not see', () => {
    const viewerLike = new Set(['agents:read', 'runs:read', 'members:read']);
    const actions = auditActionsFor(viewerLike);
    expect(actions).toContain('agent.create');
    expect(actions).toContain('member.add');
    expect(actions).not.toContain('api_key.create');
    expect(actions).not.toContain('role.create');
    expect(auditActionsFor(new Set())).toEqual([]);
  });
});

describe('feed cursors', () => {
  it('round-trip a position and refuse anything else', () => {
    const position = { at: '2025-06-01T10:20:30.123456Z', id: 'run_01jx.succeeded' };
    expect(decodeFeedCursor(encodeFeedCursor(position))).toEqual(position);
    const bad = (text: string) => decodeFeedCursor(Buffer.from(text).toString('base64url'));
    expect(bad('2025-06-01T10:20:30.123Z|aud_1')).toBeUndefined();
    expect(bad('2025-02-30T10:20:30.123456Z|aud_1')).toBeUndefined();
    expect(bad("2025-06-01T10:20:30.123456Z|aud_1' or 1=1")).toBeUndefined();
    expect(decodeFeedCursor('not base64 at all!')).toBeUndefined();
  });
});
