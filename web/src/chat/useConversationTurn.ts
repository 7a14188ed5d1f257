import { useCallback, useEffect, useRef, useState } from 'react';
import { useForgetOpenRun, useOpenRun } from '../queries/runs.ts';

interface Attached {
  runId: string;
  conversationId: string | undefined;
}

/**
 * The run a conversation shows live: a turn started here (`attach`), or the conversation's newest run while
 * it is unfinished (`GET /runs?conversationId=`, newest first), so a reload, or the conversation opened in
 * another tab, picks up a turn still going. A turn stays shown once it failed or was stopped, so its
 * reason stays on screen; `completed` lets go of one whose reply is now stored in the conversation.
 */
export function useConversationTurn(conversationId: string | undefined, enabled: boolean) {
  const forgetOpenRun = useForgetOpenRun();
  const [attached, setAttached] = useState<Attached>();
  // Runs seen to complete here: a list read just before the run's end was stored must not bring one back.
  const completedRuns = useRef(new Set<string>());
  const open = useOpenRun(conversationId, enabled);
  const openRunId = open.data?.id;

  // Another conversation: its own turn, if it has one, comes from its runs.
  useEffect(() => {
    setAttached((a) => (a && a.conversationId !== conversationId ? undefined : a));
  }, [conversationId]);
  useEffect(() => {
    if (openRunId && conversationId && !completedRuns.current.has(openRunId))
      setAttached((a) => (a?.runId === openRunId ? a : { runId: openRunId, conversationId }));
  }, [openRunId, conversationId]);

  const attach = useCallback(
    (runId: string, turnConversationId: string | undefined) =>
      setAttached({ runId, conversationId: turnConversationId }),
    [],
  );
  const completed = useCallback(
    async (runId: string) => {
      completedRuns.current.add(runId);
      await forgetOpenRun(runId);
      setAttached((a) => (a?.runId === runId ? undefined : a));
    },
    [forgetOpenRun],
  );

  // A turn that made a new conversation shows once the address has caught up with it.
  const runId = attached && attached.conversationId === conversationId ? attached.runId : undefined;
  return { runId, error: open.error, attach, completed };
}
