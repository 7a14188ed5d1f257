import type { Principal } from '../platform/auth.ts';
import type { ChannelRegistry } from '../realtime/channels.ts';
import { atLeast, type Viewer } from './access.ts';
import type { Callers } from './callers.ts';
import { filesTopic } from './events.ts';

/**
 * How long a socket's viewer (membership and role) is reused. Removing a member or changing their role
 * closes their sockets anyway; this bounds what a missed close could show.
 */
const VIEWER_TTL_MS = 30_000;

/**
 * `files` on the WebSocket: `file.changed` and `file.deleted` with the path, each sent only to
 * subscribers who may read that path now (the org's current rules, checked per event).
 */
export function registerFilesChannel(channels: ChannelRegistry, callers: Callers): void {
  const viewers = new Map<string, { viewer: Promise<Viewer>; until: number }>();

  function viewerOf(p: Principal): Promise<Viewer> {
    const now = Date.now();
    const known = viewers.get(p.id);
    if (known && known.until > now) return known.viewer;
    if (viewers.size > 10_000) for (const [id, v] of viewers) if (v.until <= now) viewers.delete(id);
    const viewer = callers.viewerOf(p);
    viewers.set(p.id, { viewer, until: now + VIEWER_TTL_MS });
    viewer.catch(() => viewers.delete(p.id));
    return viewer;
  }

  channels.register({
    kind: 'files',
    hasId: false,
    permission: 'files:read',
    topic: (p) => filesTopic(p.orgId),
    async admit(event, p) {
      const path = (event.data as { path?: unknown }).path;
      if (typeof path !== 'string') return false;
      const at = await callers.resolverFor(p.orgId, await viewerOf(p));
      return atLeast(at(path), 'read');
    },
  });
}
