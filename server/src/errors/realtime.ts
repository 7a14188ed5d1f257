import type { ChannelRegistry } from '../realtime/channels.ts';

/**
 * `issues` on the WebSocket: `issue.created`, `issue.updated`, `issue.regressed` (with the issue as it
 * is now), and the fixes domain's `fix.*` events, for readers with `errors:read`.
 */
export function registerIssuesChannel(channels: ChannelRegistry): void {
  channels.register({
    kind: 'issues',
    hasId: false,
    permission: 'errors:read',
    topic: (p) => `org:${p.orgId}`,
    accepts: (event, p) =>
      (event.type.startsWith('issue.') || event.type.startsWith('fix.')) && channels.maySee(event, p),
  });
}
