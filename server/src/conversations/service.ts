import type { AgentService } from '../agents/service.ts';
import { auditChange } from '../audit/service.ts';
import type { TurnMessage } from '../execution/events.ts';
import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import type { Db, Tx } from '../platform/db/index.ts';
import { Errors } from '../platform/errors.ts';
import type { RequestMeta } from '../platform/http.ts';
import { newId } from '../platform/ids.ts';
import { decodeCursor, type PageQuery, toPage } from '../platform/pagination.ts';
import { type Conversation, type Message, presentConversation, presentMessage } from './present.ts';
import * as store from './store.ts';

/** How many past messages a turn gives the model by default. */
export const DEFAULT_HISTORY_LIMIT = 200;

const encodeSeq = (seq: number) => Buffer.from(String(seq), 'utf8').toString('base64url');

function decodeSeq(cursor: string | undefined): number | undefined {
  const value = decodeCursor(cursor);
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value)) throw Errors.validation('cursor is not valid');
  return Number(value);
}

/** Conversations and their messages. The chat endpoints write through `appendMessages`. */
export const conversationTopic = (id: string) => `conversation:${id}`;

export function createConversationService({ db, agents, bus }: { db: Db; agents: AgentService; bus?: Bus }) {
  async function requireConversation(tx: Tx, orgId: string, id: string) {
    const conversation = await store.findConversation(tx, orgId, id);
    if (!conversation) throw Errors.notFound('conversation', id);
    return conversation;
  }

  const audit = (tx: Tx, p: Principal, action: string, id: string, meta: RequestMeta, details?: object) =>
    auditChange(tx, p, action, { type: 'conversation', id }, meta, details);

  return {
    async list(p: Principal, page: PageQuery & { agentId?: string | undefined; q?: string | undefined }) {
      const rows = await store.listConversations(db, p.orgId, {
        limit: page.limit + 1,
        before: decodeCursor(page.cursor),
        agentId: page.agentId,
        titleContains: page.q,
      });
      const result = toPage(rows, page.limit);
      return { items: result.items.map(presentConversation), nextCursor: result.nextCursor };
    },

    /** Starts a conversation with an agent of the caller's org (404 for any other agent). */
    async create(
      p: Principal,
      input: { agentId: string; title?: string | undefined },
    ): Promise<Conversation> {
      const agent = await agents.getForOrg(p.orgId, input.agentId);
      const conversation = await store.insertConversation(db, {
        id: newId('cnv'),
        orgId: p.orgId,
        agentId: agent.id,
        title: input.title ?? `Conversation with ${agent.name}`,
        createdBy: p.id,
      });
      return presentConversation(conversation);
    },

    /** Whether the org has this conversation (for other domains, which hold no principal). */
    async exists(orgId: string, id: string): Promise<boolean> {
      return (await store.findConversation(db, orgId, id)) !== undefined;
    },

    /** The agent a conversation of the org is with, or undefined (for other domains: tasks). */
    async agentOf(orgId: string, id: string): Promise<string | undefined> {
      return (await store.findConversation(db, orgId, id))?.agentId;
    },

    async get(p: Principal, id: string): Promise<Conversation> {
      return presentConversation(await requireConversation(db, p.orgId, id));
    },

    async rename(p: Principal, id: string, title: string, meta: RequestMeta): Promise<Conversation> {
      return db.transaction(async (tx) => {
        const before = await requireConversation(tx, p.orgId, id);
        const updated = await store.updateTitle(tx, p.orgId, id, title);
        await audit(tx, p, 'conversation.rename', id, meta, { from: before.title, to: title });
        return presentConversation(updated!);
      });
    },

    async remove(p: Principal, id: string, meta: RequestMeta): Promise<void> {
      await db.transaction(async (tx) => {
        const conversation = await requireConversation(tx, p.orgId, id);
        await store.deleteConversation(tx, p.orgId, id);
        await audit(tx, p, 'conversation.delete', id, meta, { messages: conversation.messageCount });
      });
    },

    async messages(p: Principal, id: string, page: PageQuery) {
      await requireConversation(db, p.orgId, id);
      const rows = await store.listMessages(db, p.orgId, id, {
        limit: page.limit + 1,
        after: decodeSeq(page.cursor),
      });
      const items = rows.slice(0, page.limit);
      const last = items.at(-1);
      return {
        items: items.map(presentMessage),
        nextCursor: rows.length > page.limit && last ? encodeSeq(last.seq) : null,
      };
    },

    /** Appends messages in order, numbered after the ones already there. */
    async appendMessages(orgId: string, conversationId: string, messages: TurnMessage[]): Promise<Message[]> {
      const added = await db.transaction(async (tx) => {
        const conversation = await store.lockConversation(tx, orgId, conversationId);
        if (!conversation) throw Errors.notFound('conversation', conversationId);
        const rows = messages.map((m, i) => ({
          id: newId('msg'),
          seq: conversation.messageCount + i + 1,
          role: m.role,
          agentId: m.agentId,
          content: m.content,
          data: m.data,
        }));
        return (await store.insertMessages(tx, orgId, conversationId, rows)).map(presentMessage);
      });
      // After commit, so a subscriber never sees a message that was rolled back.
      for (const m of added) {
        await bus?.publish({
          topic: conversationTopic(conversationId),
          type: 'message.created',
          orgId,
          seq: m.seq,
          data: m,
        });
      }
      return added;
    },

    /** The latest messages of a conversation, oldest first, as the executor takes them. */
    async history(
      orgId: string,
      conversationId: string,
      limit = DEFAULT_HISTORY_LIMIT,
    ): Promise<TurnMessage[]> {
      await requireConversation(db, orgId, conversationId);
      const rows = await store.latestMessages(db, orgId, conversationId, limit);
      return rows.map((m) => ({ role: m.role, agentId: m.agentId, content: m.content, data: m.data }));
    },
  };
}

export type ConversationService = ReturnType<typeof createConversationService>;
