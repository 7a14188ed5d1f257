import type { TurnMessage } from '../execution/events.ts';

/**
 * What a chat run keeps in its metadata (`chat`): whether it outlives its client, and any history it
 * carries itself (execution/history.ts reads it).
 */
export const chatMetadata = (detach: boolean, context: TurnMessage[] | undefined) => ({
  detach,
  ...(context?.length ? { context } : {}),
});

/** Whether a client disconnecting from this run's stream should cancel it (chat runs not detached). */
export function cancelsOnDisconnect(run: { source: string; metadata: Record<string, unknown> }): boolean {
  const chat = run.metadata.chat;
  return (
    run.source !== 'api' &&
    typeof chat === 'object' &&
    chat !== null &&
    (chat as { detach?: unknown }).detach === false
  );
}
