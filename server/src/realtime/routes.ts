import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../platform/config.ts';
import { envelope, errorEnvelopeSchema } from '../platform/errors.ts';
import type { Hub } from './hub.ts';

/**
 * The token a browser sends as `Sec-WebSocket-Protocol: bearer, <token>` (browsers cannot set
 * Authorization on a WebSocket). Anything else means "authenticate with a message instead".
 */
export function protocolCredential(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return undefined;
  const [scheme, token] = value.split(',').map((s) => s.trim());
  return scheme?.toLowerCase() === 'bearer' && token ? token : undefined;
}

/**
 * The WebSocket server, shared by every socket route: frame size limit, the `bearer` subprotocol, and
 * shutdown that closes every socket with 1012 so clients know to come back.
 */
export async function registerWebsocket(app: FastifyInstance, hub: Hub, settings: Config['realtime']) {
  await app.register(websocket, {
    options: {
      maxPayload: settings.maxMessageBytes,
      // Answer with `bearer` when offered, so a browser that sent `bearer, <token>` accepts the upgrade.
      handleProtocols: (protocols) => (protocols.has('bearer') ? 'bearer' : false),
    },
    errorHandler(err, socket, request) {
      request.log.info({ err: { type: err.name, message: err.message } }, 'realtime: socket error');
      // Protocol errors (e.g. an oversize frame) already started the close with their own code.
      if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.terminate();
    },
    preClose: async () => {
      await hub.close();
      app.websocketServer.close();
    },
  });
}

const description =
  'Upgrade to a WebSocket. Authenticate with `Sec-WebSocket-Protocol: bearer, <token>` or a first ' +
  'message `{"type":"auth","token":"..."}` within a few seconds (else close 4401). Then send ' +
  '`{"type":"subscribe","channel":"dashboard"}` (also `inbox`, `usage`, `runs:<id>`, `conversations:<id>`, ' +
  'with `afterSeq` to replay a log) and receive `{"type":"event","channel","seq","event","data","at"}`. ' +
  'Close codes: 1012 restarting, 4401 token missing/invalid/expired, 4008 slow consumer, 4429 too many sockets. ' +
  'A plain HTTP request gets 426.';

/** `/ws` (every channel) and `/ws/dashboard` (the dashboard alone). Auth happens in-band, not in the guard. */
export function realtimeRoutes(hub: Hub) {
  return async (app: FastifyInstance) => {
    const socketRoute = (url: string, dashboardOnly: boolean, operationId: string, summary: string) =>
      app.route({
        method: 'GET',
        url,
        // Browsers cannot send Authorization on an upgrade; the hub authenticates the socket itself.
        config: { auth: 'public' },
        schema: {
          operationId,
          tags: ['realtime'],
          summary,
          description,
          response: { 426: errorEnvelopeSchema },
        },
        handler: async (request, reply) =>
          reply
            .status(426)
            .header('upgrade', 'websocket')
            .send(
              envelope(
                request.id,
                'upgrade_required',
                `${url} speaks WebSocket; connect with a WebSocket client`,
              ),
            ),
        wsHandler: (socket, request) => {
          hub.accept(socket, {
            credential: protocolCredential(request.headers['sec-websocket-protocol']),
            dashboardOnly,
            log: request.log,
          });
        },
      });
    socketRoute('/ws', false, 'connectRealtime', 'The realtime WebSocket: every channel');
    socketRoute('/ws/dashboard', true, 'connectDashboard', 'The dashboard channel alone, for simple clients');
  };
}
