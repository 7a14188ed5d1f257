import type { Principal } from '../platform/auth.ts';
import type { BusEvent } from '../platform/bus.ts';

/** One entry of a channel's log, sent again on replay. */
export interface ReplayEvent {
  seq: number;
  type: string;
  data: unknown;
  at: string;
}

/**
 * A kind of channel a socket can subscribe to: `dashboard`, or `runs` for `runs:<id>`. Domains register
 * their own kinds; the hub checks the permission, asks `authorize`, and routes bus events on `topic`.
 */
export interface ChannelKind {
  kind: string;
  /** `runs:<id>` names a resource; `dashboard` does not. */
  hasId: boolean;
  /** The permission a principal needs to subscribe at all. */
  permission?: string;
  /**
   * Events of this kind's topic go to every subscriber whatever their org (the operator's maintenance
   * notice); every other kind only delivers events of the subscriber's own org.
   */
  platformWide?: boolean;
  /**
   * Whether the resource exists in the principal's org. A resource of another org must answer false,
   * exactly like a missing one, so a subscriber cannot tell them apart.
   */
  authorize?(principal: Principal, id: string): Promise<boolean>;
  /** The bus topic that feeds this channel, e.g. `org:<orgId>` or `run:<id>`. */
  topic(principal: Principal, id: string | undefined): string;
  /**
   * Whether one event of the topic goes to this subscriber (type filters, per-event permissions). It
   * must read nothing of the principal but its org and its permissions (`scopes`): it is asked once
   * per event for every subscriber holding the same ones.
   */
  accepts?(event: BusEvent, principal: Principal): boolean;
  /**
   * A check that needs to look something up (per-path file permissions): asked after `accepts`, and the
   * event goes out only when it answers true. One subscription's events still go out in their order.
   */
  admit?(event: BusEvent, principal: Principal): Promise<boolean>;
  /** Events after `afterSeq`, in order, for channels with a log; present only where a log exists. */
  replay?(principal: Principal, id: string, afterSeq: number): Promise<ReplayEvent[]>;
}

/** The channel name as subscribed: `dashboard`, `runs:run_123`. */
export interface ChannelName {
  name: string;
  kind: string;
  id: string | undefined;
}

export function parseChannel(name: string): ChannelName | undefined {
  const match = /^([a-z][a-z_]{0,39})(?::([\w.-]{1,100}))?$/.exec(name);
  if (!match) return undefined;
  return { name, kind: match[1]!, id: match[2] };
}

/**
 * Which permission a domain event needs, by the event type's prefix (`task.created` -> `tasks:read`).
 * An event whose prefix is not listed reaches nobody on org-wide channels: a new domain must say who
 * may see its events before they are broadcast.
 */
export const DEFAULT_EVENT_PERMISSIONS: Record<string, string> = {
  agent: 'agents:read',
  conversation: 'conversations:read',
  message: 'conversations:read',
  run: 'runs:read',
  approval: 'inbox:read',
  inbox: 'inbox:read',
  task: 'tasks:read',
  update: 'tasks:read',
  file: 'files:read',
  usage: 'usage:read',
  budget: 'usage:read',
  billing: 'billing:read',
  subscription: 'billing:read',
  error: 'errors:read',
  issue: 'errors:read',
  fix: 'errors:read',
  member: 'members:read',
  role: 'roles:read',
};

export function createChannelRegistry() {
  const kinds = new Map<string, ChannelKind>();
  const eventPermissions = new Map(Object.entries(DEFAULT_EVENT_PERMISSIONS));

  // Looked up once per event type, not once per subscriber (an event can go to thousands).
  const byType = new Map<string, string | undefined>();

  /** The permission an org event needs, or undefined when its type is not mapped. */
  function eventPermission(type: string): string | undefined {
    if (byType.has(type)) return byType.get(type);
    const permission = eventPermissions.get(type.split('.', 1)[0] ?? type);
    if (byType.size >= 1_000) byType.clear();
    byType.set(type, permission);
    return permission;
  }

  /** Whether a principal may see one org-wide event. */
  function maySee(event: BusEvent, principal: Principal): boolean {
    const needed = eventPermission(event.type);
    return needed !== undefined && principal.scopes.has(needed);
  }

  return {
    /** Adds a channel kind; a second registration of the same kind is a programming error. */
    register(kind: ChannelKind): void {
      if (kinds.has(kind.kind))
        throw new Error(`realtime: channel kind "${kind.kind}" is already registered`);
      if (kind.hasId && !kind.authorize)
        throw new Error(`realtime: channel kind "${kind.kind}" needs authorize`);
      kinds.set(kind.kind, kind);
    },
    get(kind: string): ChannelKind | undefined {
      return kinds.get(kind);
    },
    kinds(): string[] {
      return [...kinds.keys()].sort();
    },
    /** Declares who may see events whose type starts with `prefix.` (`invoice` -> `billing:read`). */
    mapEventPermission(prefix: string, permission: string): void {
      eventPermissions.set(prefix, permission);
      byType.clear();
    },
    eventPermission,
    maySee,
  };
}

export type ChannelRegistry = ReturnType<typeof createChannelRegistry>;

/** The org-wide channels the hub serves itself; `runs` and `conversations` come from their domains. */
export function registerBuiltinChannels(channels: ChannelRegistry): void {
  const orgTopic = (p: Principal) => `org:${p.orgId}`;
  channels.register({
    kind: 'dashboard',
    hasId: false,
    topic: orgTopic,
    accepts: (event, p) => channels.maySee(event, p),
  });
  channels.register({
    kind: 'inbox',
    hasId: false,
    permission: 'inbox:read',
    topic: orgTopic,
    accepts: (event, p) => /^(inbox|approval)\./.test(event.type) && channels.maySee(event, p),
  });
  channels.register({
    kind: 'usage',
    hasId: false,
    permission: 'usage:read',
    topic: orgTopic,
    accepts: (event, p) => /^(usage|budget)\./.test(event.type) && channels.maySee(event, p),
  });
}
