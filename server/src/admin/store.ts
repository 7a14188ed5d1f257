import { eq } from 'drizzle-orm';
import type { Tx } from '../platform/db/index.ts';
import { maintenanceNotices } from './tables.ts';

export interface NoticeRecord {
  message: string;
  level: 'info' | 'warning';
  postedBy: string;
  postedAt: Date;
}

const CURRENT = 'current';

export async function findNotice(tx: Tx): Promise<NoticeRecord | undefined> {
  const [row] = await tx
    .select({
      message: maintenanceNotices.message,
      level: maintenanceNotices.level,
      postedBy: maintenanceNotices.postedBy,
      postedAt: maintenanceNotices.postedAt,
    })
    .from(maintenanceNotices)
    .where(eq(maintenanceNotices.id, CURRENT));
  return row;
}

/** Replaces the notice (there is one at a time). */
export async function saveNotice(tx: Tx, notice: NoticeRecord): Promise<void> {
  await tx
    .insert(maintenanceNotices)
    .values({ id: CURRENT, ...notice })
    .onConflictDoUpdate({ target: maintenanceNotices.id, set: notice });
}

export async function deleteNotice(tx: Tx): Promise<boolean> {
  const rows = await tx
    .delete(maintenanceNotices)
    .where(eq(maintenanceNotices.id, CURRENT))
    .returning({ id: maintenanceNotices.id });
  return rows.length > 0;
}
