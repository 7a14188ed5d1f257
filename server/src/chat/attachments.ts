import type { FastifyBaseLogger } from 'fastify';
import type { Principal } from '../platform/auth.ts';
import type { Bus } from '../platform/bus.ts';
import { AppError } from '../platform/errors.ts';

/** Bus topic where streams of one run say they are there; crosses replicas with Redis. */
const attachTopic = (runId: string) => `chat-attach:${runId}`;

export interface AttachmentDeps {
  bus: Bus;
  cancel(p: Principal, runId: string): Promise<unknown>;
  log: FastifyBaseLogger;
}

/**
 * "A client that disconnects stops its model call": a run started by a chat client lives while a
 * client follows it. When the last one goes away the run is cancelled, after `graceMs` during which a
 * reconnecting stream (GET /chat/stream/{id}, on any replica) can take over. A stream that leaves asks
 * the others whether anyone is still there (`probe`); every stream of the run answers (`attached`).
 */
export function createAttachments(deps: AttachmentDeps) {
  const { bus, log } = deps;
  const pending = new Set<NodeJS.Timeout>();
  let closing = false;

  const publish = (orgId: string, runId: string, type: 'probe' | 'attached') =>
    bus.publish({ topic: attachTopic(runId), type, orgId, data: {} }).catch((err: unknown) => {
      log.warn({ err, runId }, 'chat: could not publish a stream attachment');
    });

  async function cancel(p: Principal, runId: string): Promise<void> {
    try {
      await deps.cancel(p, runId);
    } catch (err) {
      // Finished in the meantime: nothing to stop.
      if (err instanceof AppError && err.status === 409) return;
      log.error({ err, runId }, 'chat: could not cancel the run of a client that went away');
    }
  }

  function leave(p: Principal, runId: string, graceMs: number): void {
    if (closing) return; // a server shutting down is not a client leaving; the run carries on
    if (graceMs <= 0) {
      void cancel(p, runId);
      return;
    }
    const timer = setTimeout(() => {
      pending.delete(timer);
      stop();
      if (!closing) void cancel(p, runId);
    }, graceMs);
    pending.add(timer);
    const stop = bus.subscribe(attachTopic(runId), (event) => {
      if (event.type !== 'attached' || event.orgId !== p.orgId) return;
      clearTimeout(timer);
      pending.delete(timer);
      stop();
    });
    void publish(p.orgId, runId, 'probe');
  }

  return {
    /**
     * Marks a client as following a run. `announce` tells a run waiting for its grace to end that a
     * client is back. Call the returned function when the stream ends; with `gone` (the client left
     * before the run ended) the run is cancelled after `graceMs` unless another client follows it.
     */
    attach(p: Principal, runId: string, opts: { announce: boolean }) {
      const stop = bus.subscribe(attachTopic(runId), (event) => {
        if (event.type === 'probe' && event.orgId === p.orgId) void publish(p.orgId, runId, 'attached');
      });
      if (opts.announce) void publish(p.orgId, runId, 'attached');
      let left = false;
      return (gone: boolean, graceMs: number) => {
        if (left) return;
        left = true;
        stop();
        if (gone) leave(p, runId, graceMs);
      };
    },
    /** Shutdown: pending cancellations are dropped; runs of streams cut by the shutdown carry on. */
    close(): void {
      closing = true;
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
    },
  };
}

export type Attachments = ReturnType<typeof createAttachments>;
