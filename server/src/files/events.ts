import type { Bus } from '../platform/bus.ts';

/**
 * The bus topic of an org's file events. Not `org:<id>`: the dashboard relays every org event its
 * reader's scopes allow, while a file event may only reach those who may read its path (files/realtime.ts).
 */
export const filesTopic = (orgId: string) => `files:${orgId}`;

export type FileEventType = 'file.changed' | 'file.deleted';

/** Tells readers a path changed or went; they read it again (the event carries the path only). */
export function publishFileEvent(bus: Bus, orgId: string, type: FileEventType, path: string): Promise<void> {
  return bus.publish({ topic: filesTopic(orgId), type, orgId, data: { path } });
}
