import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import type { Db } from '../platform/db/index.ts';
import type { ChannelRegistry } from '../realtime/channels.ts';
import * as store from './store.ts';

/** The bus topic of notice changes; the `notice` channel delivers it to every signed-in socket. */
export const NOTICE_TOPIC = 'platform:notice';

export interface Notice {
  message: string;
  level: 'info' | 'warning';
  postedAt: string;
}

const present = (n: store.NoticeRecord): Notice => ({
  message: n.message,
  level: n.level,
  postedAt: n.postedAt.toISOString(),
});

/**
 * The maintenance notice: the operator posts or clears it, every signed-in person reads it, and every
 * console hears of a change at once through the `notice` channel (on every replica, through the bus).
 * It is stored, so a console opened later shows it too.
 */
export function createNoticeBoard(deps: {
  db: Db;
  bus: Bus;
  assertOperator: (p: Principal) => Promise<void>;
}) {
  const { db, bus } = deps;
  return {
    async current(): Promise<{ notice: Notice | null }> {
      const notice = await store.findNotice(db);
      return { notice: notice ? present(notice) : null };
    },

    async post(p: Principal, input: { message: string; level?: 'info' | 'warning' | undefined }) {
      await deps.assertOperator(p);
      const record: store.NoticeRecord = {
        message: input.message,
        level: input.level ?? 'info',
        postedBy: p.id,
        postedAt: new Date(),
      };
      await store.saveNotice(db, record);
      const notice = present(record);
      await bus.publish({ topic: NOTICE_TOPIC, type: 'notice.posted', orgId: '*', data: { notice } });
      return { notice };
    },

    /** Clears the notice; clearing when there is none changes nothing (and tells nobody). */
    async clear(p: Principal): Promise<void> {
      await deps.assertOperator(p);
      if (await store.deleteNotice(db)) {
        await bus.publish({
          topic: NOTICE_TOPIC,
          type: 'notice.cleared',
          orgId: '*',
          data: { notice: null },
        });
      }
    },
  };
}

/** Every signed-in socket may hear the notice, whatever its org or permissions. */
export function registerNoticeChannel(channels: ChannelRegistry): void {
  channels.register({ kind: 'notice', hasId: false, platformWide: true, topic: () => NOTICE_TOPIC });
}

export type NoticeBoard = ReturnType<typeof createNoticeBoard>;
