import { useCallback, useEffect, useRef, useState } from 'react';
import { addEvent, type RunEvent } from '../runs/timeline.ts';
import { followChatTurn } from './stream.ts';

interface Active {
  runId: string | undefined;
  controller: AbortController;
}

/**
 * The chat turn on screen: one started here (`start`) or the run given (a turn found still going), followed
 * over the chat SSE stream and resumed after a dropped connection. `onEvent` hears each event with the run
 * it belongs to. Leaving the page stops listening, not the run.
 */
export function useChatTurn(
  runId: string | undefined,
  onEvent: (event: RunEvent, runId: string | undefined) => void,
) {
  const [log, setLog] = useState<RunEvent[]>([]);
  const [error, setError] = useState<unknown>();
  const active = useRef<Active | undefined>(undefined);
  const onEventRef = useRef(onEvent);
  onEventRef.current = onEvent;

  const follow = useCallback(
    (
      from: Parameters<typeof followChatTurn>[0],
      onRun?: (runId: string, conversationId: string | null) => void,
    ) => {
      active.current?.controller.abort();
      const me: Active = {
        runId: 'runId' in from ? from.runId : undefined,
        controller: new AbortController(),
      };
      active.current = me;
      setLog([]);
      setError(undefined);
      void followChatTurn(
        from,
        {
          onEvent: (event) => {
            if (active.current !== me) return;
            setLog((current) => addEvent(current, event));
            onEventRef.current(event, me.runId);
          },
          onRun: (id, conversationId) => {
            me.runId = id;
            onRun?.(id, conversationId);
          },
        },
        me.controller.signal,
      ).catch((err: unknown) => {
        if (active.current === me && !me.controller.signal.aborted) setError(err);
      });
    },
    [],
  );

  /** Sends a message: a new turn (and a new conversation without `conversationId`). */
  const start = useCallback(
    (
      body: { agentId: string; message: string; conversationId?: string },
      onRun: (runId: string, conversationId: string | null) => void,
    ) => follow({ start: body }, onRun),
    [follow],
  );

  useEffect(() => {
    const current = active.current;
    if (runId === undefined) {
      // Another conversation, or the turn ended and its words are stored: stop showing the live log.
      if (current?.runId !== undefined) {
        current.controller.abort();
        active.current = undefined;
        setLog([]);
      }
      return;
    }
    if (current?.runId === runId) return; // started here, or already followed
    follow({ runId, afterSeq: 0 });
  }, [runId, follow]);

  useEffect(() => () => active.current?.controller.abort(), []);

  return { log, error, start, starting: active.current !== undefined && active.current.runId === undefined };
}
