import type { ConversationRecord, MessageRecord } from './store.ts';

export type Conversation = ReturnType<typeof presentConversation>;
export type Message = ReturnType<typeof presentMessage>;

export const presentConversation = (c: ConversationRecord) => ({
  id: c.id,
  agentId: c.agentId,
  title: c.title,
  createdBy: c.createdBy,
  messageCount: c.messageCount,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

export const presentMessage = (m: MessageRecord) => ({
  id: m.id,
  conversationId: m.conversationId,
  seq: m.seq,
  role: m.role,
  agentId: m.agentId,
  content: m.content,
  data: { ...m.data },
  createdAt: m.createdAt.toISOString(),
});
