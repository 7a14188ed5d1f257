import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAs } from './kit/api-client.ts';
import { makeRunAgent, submitRun, waitForRun } from './kit/runs.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { registerOwner, type Session } from './kit/users.ts';
import { ofType, openAuthed, subscribe, type TestSocket } from './kit/ws-client.ts';

/** The run and conversation channels of the WebSocket hub, fed by the runs and conversations domains. */
let server: TestServer;
let a: Session;
let b: Session;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  server = await startTestServer();
  a = await registerOwner(server);
  b = await registerOwner(server);
});
afterAll(async () => {
  for (const s of sockets) await s.close();
  await server?.close();
});

async function socketOf(session: Session) {
  const s = await openAuthed(server, session.accessToken);
  sockets.push(s);
  return s;
}

describe('runs:<id> and conversations:<id>', () => {
  it('streams a run live, replays it from a seq, and keeps other orgs out', async () => {
    const agent = await makeRunAgent(server, a);
    const conv = (await clientAs(server, a).POST('/api/v1/conversations', { body: { agentId: agent.id } }))
      .data!;
    const sa = await socketOf(a);
    expect(await subscribe(sa, `conversations:${conv.id}`)).toMatchObject({ type: 'subscribed' });
    const run = await submitRun(server, a, {
      agentId: agent.id,
      input: 'hello channel',
      conversationId: conv.id,
    });
    expect(await subscribe(sa, `runs:${run.id}`, { afterSeq: 0 })).toMatchObject({ type: 'subscribed' });
    await waitForRun(server, a, run.id, ['succeeded']);

    const completed = await sa.next(
      (m) => m.type === 'event' && m.channel === `runs:${run.id}` && m.event === 'run.completed',
    );
    expect(completed).toMatchObject({
      data: { type: 'run.completed', agentId: agent.id, output: 'Echo: hello channel' },
    });
    const runSeqs = sa.messages
      .filter((m) => m.type === 'event' && m.channel === `runs:${run.id}`)
      .map((m) => m.seq);
    expect(runSeqs).toEqual(runSeqs.map((_, i) => i + 1));

    // The conversation channel saw the user's message and the reply, in order.
    // (appended before the run finished, so already received)
    const reply = sa.messages.find(
      (m) => m.type === 'event' && m.channel === `conversations:${conv.id}` && m.seq === 2,
    );
    expect(reply).toMatchObject({
      event: 'message.created',
      data: { role: 'assistant', content: 'Echo: hello channel' },
    });

    // A second socket replays the conversation after its first message.
    const late = await socketOf(a);
    await subscribe(late, `conversations:${conv.id}`, { afterSeq: 1 });
    expect(await late.next(ofType('event'))).toMatchObject({
      seq: 2,
      channel: `conversations:${conv.id}`,
    });

    const sb = await socketOf(b);
    for (const channel of [`runs:${run.id}`, `conversations:${conv.id}`]) {
      expect(await subscribe(sb, channel)).toMatchObject({ type: 'error', code: 'not_found' });
    }
  });
});
