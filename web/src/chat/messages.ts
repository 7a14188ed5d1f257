import type { components } from '@switchboard/client';
import type { TimelineItem } from '../runs/timeline.ts';

export type ConversationMessage = components['schemas']['ConversationMessage'];
export type ChatItem = TimelineItem | { kind: 'user'; key: string; text: string };

/** A stored conversation as chat items: tool results joined to their calls, hand-offs inline. */
export function chatItemsOf(messages: readonly ConversationMessage[]): ChatItem[] {
  const items: ChatItem[] = [];
  const calls = new Map<string, Extract<TimelineItem, { kind: 'tool' }>>();
  for (const m of messages) {
    const key = `m${m.id}`;
    switch (m.role) {
      case 'user':
        items.push({ kind: 'user', key, text: m.content });
        break;
      case 'assistant':
        items.push({ kind: 'text', key, agentId: m.agentId ?? '', text: m.content, done: true });
        break;
      case 'tool_call': {
        let args: unknown = m.data.arguments;
        if (args === undefined && m.content) {
          try {
            args = JSON.parse(m.content);
          } catch {
            args = m.content;
          }
        }
        const item = {
          kind: 'tool' as const,
          key,
          callId: m.data.callId ?? m.id,
          name: m.data.toolName ?? 'tool',
          arguments: args,
          output: undefined,
          isError: false,
        };
        calls.set(item.callId, item);
        items.push(item);
        break;
      }
      case 'tool_result': {
        const call = m.data.callId ? calls.get(m.data.callId) : undefined;
        if (call) {
          call.output = m.content;
          call.isError = m.data.isError === true;
        } else {
          items.push({
            kind: 'tool',
            key,
            callId: m.data.callId ?? m.id,
            name: m.data.toolName ?? 'tool',
            arguments: undefined,
            output: m.content,
            isError: m.data.isError === true,
          });
        }
        break;
      }
      case 'handoff':
        items.push({ kind: 'handoff', key, from: m.data.from ?? '', to: m.data.to ?? '' });
        break;
    }
  }
  return items;
}
