import { useCallback, useEffect, useState } from 'react';
import { useChannel } from '../realtime/RealtimeContext.tsx';
import type { ChannelEvent } from '../realtime/socket.ts';
import { addEvent, isTerminalEvent, type RunEvent, runEventOf } from './timeline.ts';

/**
 * A run's log, replayed from the start over the `runs:<id>` channel and then live. After a dropped
 * connection the socket replays from the last seq, so the log has no gap and no repeat.
 */
export function useRunLog(runId: string | undefined, onStatusChange?: (event: RunEvent) => void) {
  const [log, setLog] = useState<RunEvent[]>([]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new run starts a new log
  useEffect(() => setLog([]), [runId]);
  const handler = useCallback(
    (e: ChannelEvent) => {
      const event = runEventOf(e);
      if (!event) return;
      setLog((current) => addEvent(current, event));
      // The log moves ahead of the run row: tell the page when the run's status changed.
      if (event.type.startsWith('run.') || event.type.startsWith('approval.') || isTerminalEvent(event.type))
        onStatusChange?.(event);
    },
    [onStatusChange],
  );
  useChannel(runId ? `runs:${runId}` : undefined, handler, 0);
  return log;
}
