import type { RunItem, RunStreamEvent } from '@openai/agents';
import type { TurnEvent, TurnMessage } from './events.ts';
import { type AgentGraph, SDK_INVALID_JSON_OUTPUT } from './graph.ts';
import type { PendingApproval } from './records.ts';

function parseArguments(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * Follows the SDK's stream of one turn: translates it into execution events, and keeps the messages
 * the conversation will store, who is speaking, any reply still being streamed, and the tool calls
 * that wait for a person's approval.
 */
export class TurnRecorder {
  readonly messages: TurnMessage[] = [];
  /** The agent speaking now; changes at each hand-off. */
  current: string;
  /** The last complete reply. */
  lastText = '';
  /** The agent graph of the turn, once built; names are mapped back through it. */
  graph: AgentGraph | undefined;
  /** Tool calls the turn paused on, in order. */
  readonly approvals: PendingApproval[] = [];
  private partial = '';
  private readonly emit: (event: TurnEvent) => void;

  constructor(startAgentId: string, emit: (event: TurnEvent) => void) {
    this.current = startAgentId;
    this.emit = emit;
  }

  private idOf(sdkName: string): string {
    return this.graph?.bySdkName.get(sdkName)?.id ?? sdkName;
  }

  private toolName(modelName: string): string {
    return this.graph?.toolNames.get(modelName) ?? modelName;
  }

  /** The slug of the agent speaking now, for messages the model reads. */
  currentSlug(): string {
    for (const spec of this.graph?.bySdkName.values() ?? []) if (spec.id === this.current) return spec.slug;
    return this.current;
  }

  /** Forgets the last reply (an output guardrail blocked it). */
  dropLastReply(): void {
    const last = this.messages.findLastIndex((m) => m.role === 'assistant');
    if (last >= 0) this.messages.splice(last, 1);
    this.partial = '';
    this.lastText = '';
  }

  /** Keeps what was already streamed of a reply that a failure or cancellation cut off. */
  keepPartial(): void {
    if (!this.partial) return;
    this.messages.push({
      role: 'assistant',
      agentId: this.current,
      content: this.partial,
      data: { incomplete: true },
    });
    this.partial = '';
  }

  /**
   * Takes a turn that ran without streaming: its items in order, then any approval requests not
   * among them, then the agent that ended it. The same events and messages as a streamed turn, less
   * the text deltas.
   */
  replay(items: RunItem[], interruptions: RunItem[], lastAgentName: string | undefined): void {
    const seen = new Set(items);
    for (const item of [...items, ...interruptions.filter((i) => !seen.has(i))]) {
      this.handle({ type: 'run_item_stream_event', name: 'message_output_created', item } as RunStreamEvent);
    }
    if (lastAgentName) this.current = this.idOf(lastAgentName);
  }

  handle(event: RunStreamEvent): void {
    if (event.type === 'agent_updated_stream_event') {
      this.current = this.idOf(event.agent.name);
      return;
    }
    if (event.type === 'raw_model_stream_event') {
      if (event.data.type === 'response_started') this.partial = '';
      if (event.data.type === 'output_text_delta') {
        this.partial += event.data.delta;
        this.emit({ type: 'message.delta', text: event.data.delta, agentId: this.current });
      }
      return;
    }
    const item = event.item;
    if (item.type === 'message_output_item') {
      const text = item.content;
      const agentId = this.idOf(item.agent.name);
      this.partial = '';
      this.lastText = text;
      this.messages.push({ role: 'assistant', agentId, content: text, data: {} });
      this.emit({ type: 'message.completed', text, agentId });
    } else if (item.type === 'tool_call_item' && item.rawItem.type === 'function_call') {
      const { callId, arguments: raw } = item.rawItem;
      const name = this.toolName(item.rawItem.name);
      const agentId = this.idOf(item.agent.name);
      const args = parseArguments(raw);
      this.messages.push({
        role: 'tool_call',
        agentId,
        content: raw,
        data: { toolName: name, callId, arguments: args },
      });
      this.emit({ type: 'tool.called', name, arguments: args, callId, agentId });
    } else if (item.type === 'tool_call_output_item' && item.rawItem.type === 'function_call_result') {
      const { callId } = item.rawItem;
      const name = this.toolName(item.rawItem.name);
      const agentId = this.idOf(item.agent.name);
      const output = typeof item.output === 'string' ? item.output : JSON.stringify(item.output);
      const isError = (this.graph?.failedCalls.has(callId) ?? false) || output === SDK_INVALID_JSON_OUTPUT;
      this.messages.push({
        role: 'tool_result',
        agentId,
        content: output,
        data: { toolName: name, callId, isError },
      });
      this.emit({ type: 'tool.result', name, callId, output, isError, agentId });
    } else if (item.type === 'handoff_output_item') {
      const from = this.idOf(item.sourceAgent.name);
      const to = this.idOf(item.targetAgent.name);
      const content = `${item.sourceAgent.name} handed off to ${item.targetAgent.name}`;
      this.messages.push({ role: 'handoff', agentId: from, content, data: { from, to } });
      this.emit({ type: 'handoff', from, to });
    } else if (item.type === 'tool_approval_item' && item.rawItem.type === 'function_call') {
      this.approvals.push({
        toolName: this.toolName(item.rawItem.name),
        arguments: parseArguments(item.rawItem.arguments),
        callId: item.rawItem.callId,
        agentId: this.idOf(item.agent.name),
      });
    }
  }
}
