import type { Db } from '../platform/db/index.ts';
import type { ChannelRegistry } from '../realtime/channels.ts';
import { presentMessage } from './present.ts';
import { conversationTopic } from './service.ts';
import { findConversation, listMessages } from './store.ts';

/** `conversations:<id>` on the WebSocket: each new message, live and replayable from its seq. */
export function registerConversationChannel(channels: ChannelRegistry, db: Db): void {
  channels.register({
    kind: 'conversations',
    hasId: true,
    permission: 'conversations:read',
    authorize: async (p, id) => (await findConversation(db, p.orgId, id)) !== undefined,
    topic: (_p, id) => conversationTopic(id!),
    replay: async (p, id, afterSeq) =>
      (await listMessages(db, p.orgId, id, { limit: 1000, after: afterSeq })).map((row) => {
        const message = presentMessage(row);
        return { seq: message.seq, type: 'message.created', data: message, at: message.createdAt };
      }),
  });
}
