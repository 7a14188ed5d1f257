import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAgent } from './kit/agents.ts';
import { clientAs, type Schema } from './kit/api-client.ts';
import { chatStream, deltaText, dropChatStream, readChatEvents, type StreamedEvent } from './kit/chat.ts';
import { inboxItemFor, runEvents, waitForRun } from './kit/runs.ts';
import { openStream } from './kit/sse-client.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { addMember, registerOwner, type Session } from './kit/users.ts';
import { ofType, openSocket } from './kit/ws-client.ts';

let server: TestServer;
let owner: Session;
let agent: Schema<'Agent'>;

beforeAll(async () => {
  server = await startTestServer();
  owner = await registerOwner(server, 'chat');
  agent = await makeAgent(server, owner, { tools: ['demo.approval', 'time.now'] });
});
afterAll(async () => {
  await server?.close();
});

const chat = (body: Schema<'ChatRequestInput'>, session = owner) =>
  clientAs(server, session).POST('/api/v1/chat', { body });

async function messagesOf(conversationId: string) {
  const res = await clientAs(server, owner).GET('/api/v1/conversations/{id}/messages', {
    params: { path: { id: conversationId }, query: { limit: 200 } },
  });
  return res.data!.items;
}

const getRun = (id: string) => clientAs(server, owner).GET('/api/v1/runs/{id}', { params: { path: { id } } });

const types = (events: StreamedEvent[]) => events.map((e) => e.type);

describe('POST /chat', () => {
  it('answers the reply and keeps the conversation, titled from the first message', async () => {
    const first = await chat({ agentId: agent.id, message: 'hello there\nsecond line' });
    expect(first.response.status).toBe(200);
    expect(first.data).toMatchObject({
      agentId: agent.id,
      status: 'succeeded',
      reply: 'Echo: hello there\nsecond line',
      approval: null,
      usage: { outputTokens: 5, requests: 1 },
    });
    expect(first.data!.events).toBeUndefined();
    expect(first.response.headers.get('x-run-id')).toBe(first.data!.runId);
    const conversation = await clientAs(server, owner).GET('/api/v1/conversations/{id}', {
      params: { path: { id: first.data!.conversationId } },
    });
    expect(conversation.data).toMatchObject({ title: 'hello there', agentId: agent.id, messageCount: 2 });

    const second = await chat({
      agentId: agent.id,
      message: 'and again',
      conversationId: first.data!.conversationId,
      includeEvents: true,
    });
    expect(second.response.status).toBe(200);
    expect(second.data).toMatchObject({
      conversationId: first.data!.conversationId,
      reply: 'Echo: and again',
    });
    expect(second.data!.events?.map((e) => e.type)).toEqual([
      'run.queued',
      'run.started',
      ...second.data!.events!.slice(2, -2).map(() => 'message.delta'),
      'message.completed',
      'run.completed',
    ]);
    expect((await messagesOf(first.data!.conversationId)).map((m) => [m.role, m.content])).toEqual([
      ['user', 'hello there\nsecond line'],
      ['assistant', 'Echo: hello there\nsecond line'],
      ['user', 'and again'],
      ['assistant', 'Echo: and again'],
    ]);
    const run = await getRun(second.data!.runId);
    expect(run.data).toMatchObject({ source: 'chat', status: 'succeeded', output: 'Echo: and again' });
  });

  it('answers a failed model call as 502 model_error, and the conversation keeps what was said', async () => {
    const res = await chat({ agentId: agent.id, message: 'partial words\n/fail the upstream is down' });
    expect(res.response.status).toBe(502);
    expect(res.error).toMatchObject({
      error: {
        code: 'model_error',
        message: 'the upstream is down',
        details: { runId: expect.any(String), conversationId: expect.any(String) },
      },
    });
    const { conversationId } = res.error!.error.details as { conversationId: string };
    expect((await messagesOf(conversationId)).map((m) => [m.role, m.content])).toEqual([
      ['user', 'partial words\n/fail the upstream is down'],
      ['assistant', 'Echo: partial words'],
    ]);
  });

  it('answers 404 for an unknown agent or conversation, and 400 for an empty message', async () => {
    const unknownAgent = await chat({ agentId: 'agt_nope', message: 'hi' });
    expect(unknownAgent.response.status).toBe(404);
    expect(unknownAgent.error).toMatchObject({
      error: { code: 'not_found', message: 'agent agt_nope was not found' },
    });
    const unknownConversation = await chat({ agentId: agent.id, message: 'hi', conversationId: 'cnv_nope' });
    expect(unknownConversation.response.status).toBe(404);
    expect(unknownConversation.error).toMatchObject({
      error: { code: 'not_found', message: 'conversation cnv_nope was not found' },
    });
    const empty = await chat({ agentId: agent.id, message: '   ' });
    expect(empty.response.status).toBe(400);
    expect(empty.error).toMatchObject({ error: { code: 'validation_failed' } });
  });

  it('answers 202 waiting_approval with the inbox item when the run pauses', async () => {
    const res = await chat({ agentId: agent.id, message: '/tool demo.approval {"action":"ship it"}' });
    expect(res.response.status).toBe(202);
    expect(res.data).toMatchObject({
      status: 'waiting_approval',
      reply: null,
      usage: null,
      agentId: agent.id,
      approval: { name: 'demo.approval', arguments: { action: 'ship it' }, inboxItemId: expect.any(String) },
    });
    const item = await inboxItemFor(server, owner, res.data!.runId);
    expect(item.id).toBe(res.data!.approval?.inboxItemId);
    const run = await getRun(res.data!.runId);
    expect(run.data!.status).toBe('waiting_approval'); // answering did not cancel it
  });
});

describe('POST /chat/stream', () => {
  it('streams the chat events in order, each with the run log seq as its id', async () => {
    const res = await chatStream(server, owner, { agentId: agent.id, message: 'stream me please' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const events = await readChatEvents(res);
    const runId = res.headers.get('x-run-id');
    expect(events[0]).toEqual({
      id: 1,
      type: 'run.queued',
      data: {
        type: 'run.queued',
        runId,
        conversationId: res.headers.get('x-conversation-id'),
        agentId: agent.id,
      },
    });
    expect(events[1]).toMatchObject({
      type: 'run.started',
      data: { agentId: agent.id, model: 'builtin:scripted', attempt: 1, resumed: false },
    });
    expect(types(events).slice(-2)).toEqual(['message.completed', 'run.completed']);
    expect(new Set(types(events).slice(2, -2))).toEqual(new Set(['message.delta']));
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.every((e) => e.type === e.data.type)).toBe(true);
    expect(deltaText(events)).toBe('Echo: stream me please');
    expect(events.at(-1)?.data).toMatchObject({
      output: 'Echo: stream me please',
      agentId: agent.id,
      usage: { outcome: 'completed', requests: 1 },
    });
    // The stream is the run's log, in the chat vocabulary.
    const log = await runEvents(server, owner, runId!);
    expect(log.map((e) => e.seq)).toEqual(events.map((e) => e.id));
  });

  it('resumes a dropped stream with Last-Event-ID: no gap, no repeat, and the run carries on', async () => {
    const controller = new AbortController();
    const res = await chatStream(
      server,
      owner,
      { agentId: agent.id, message: '/tokens 3\n/sleep 2500\nafter the pause' },
      controller.signal,
    );
    const runId = res.headers.get('x-run-id')!;
    const before = await readChatEvents(res, (e) => e.type === 'message.delta');
    controller.abort(); // the connection drops mid-reply; the run outlives the grace only if resumed
    const lastId = String(before.at(-1)!.id);

    const again = await openStream(`${server.url}/api/v1/chat/stream/${runId}`, {
      token: owner.accessToken,
      lastEventId: lastId,
    });
    expect(again.status).toBe(200);
    const after = await readChatEvents(again);
    const all = [...before, ...after];
    expect(all.map((e) => e.id)).toEqual(all.map((_, i) => i + 1));
    expect(after.at(-1)).toMatchObject({ type: 'run.completed' });
    expect(deltaText(all)).toBe('word1 word2 word3\nEcho: after the pause');
    const run = await getRun(runId);
    expect(run.data!.status).toBe('succeeded');

    // A run that has ended: the rest of its events, then the stream closes; ?after= works too.
    const tail = await openStream(`${server.url}/api/v1/chat/stream/${runId}?after=${all.length - 1}`, {
      token: owner.accessToken,
    });
    expect((await readChatEvents(tail)).map((e) => e.type)).toEqual(['run.completed']);
  });

  it('cancels the run when the client disconnects and does not come back', async () => {
    const { runId, run } = await dropChatStream(server, owner, {
      agentId: agent.id,
      message: 'started\n/sleep 60000\nnever said',
    });
    expect(run.status).toBe('cancelled');
    const log = await runEvents(server, owner, runId);
    expect(log.at(-1)).toMatchObject({ type: 'run.failed', data: { code: 'cancelled' } });
  });

  it('keeps a detached run going after the client disconnects', async () => {
    const { run } = await dropChatStream(server, owner, {
      agentId: agent.id,
      message: 'started\n/sleep 2500\ndone anyway',
      detach: true,
    });
    expect(run).toMatchObject({ status: 'succeeded', output: 'Echo: started\nEcho: done anyway' });
  });

  it('shows a hand-off chain triage -> specialist as handoff events', async () => {
    const specialist = await makeAgent(server, owner, { name: 'Specialist' });
    const triage = await makeAgent(server, owner, { name: 'Triage', handoffs: [specialist.id] });
    const res = await chatStream(server, owner, {
      agentId: triage.id,
      message: `/handoff ${specialist.slug}\nI need an expert`,
    });
    const events = await readChatEvents(res);
    expect(events.filter((e) => e.type === 'handoff').map((e) => e.data)).toEqual([
      { type: 'handoff', from: triage.id, to: specialist.id },
    ]);
    expect(events.filter((e) => e.type === 'message.completed').map((e) => e.data)).toEqual([
      { type: 'message.completed', text: 'Echo: I need an expert', agentId: specialist.id },
    ]);
    expect(events.at(-1)?.data).toMatchObject({ type: 'run.completed', agentId: specialist.id });

    const waited = await chat({ agentId: triage.id, message: `/handoff ${specialist.slug}\nagain` });
    expect(waited.data).toMatchObject({ agentId: specialist.id, reply: 'Echo: again' });
  });

  it('refuses a tool the agent was not given, as an error tool result', async () => {
    const res = await chatStream(server, owner, {
      agentId: agent.id,
      message: '/tool math.calculate {"expression":"1+1"}',
    });
    const events = await readChatEvents(res);
    expect(events.find((e) => e.type === 'tool.result')?.data).toMatchObject({
      name: 'math.calculate',
      isError: true,
      output: `Error: tool math.calculate is not available to agent ${agent.slug}`,
    });
    expect(events.at(-1)?.data).toMatchObject({
      type: 'run.completed',
      output: `math.calculate failed: tool math.calculate is not available to agent ${agent.slug}`,
    });
  });

  it('pauses for approval, stays open, and finishes once approved through the inbox', async () => {
    const res = await chatStream(server, owner, {
      agentId: agent.id,
      message: '/tool demo.approval {"action":"deploy"}',
    });
    const events: StreamedEvent[] = [];
    const reading = readChatEvents(res, (e) => {
      events.push(e);
      return false;
    });
    await expect
      .poll(() => events.find((e) => e.type === 'approval.required'), { timeout: 20_000 })
      .toBeDefined();
    const approval = events.find((e) => e.type === 'approval.required')!;
    expect(approval.data).toMatchObject({
      name: 'demo.approval',
      arguments: { action: 'deploy' },
      agentId: agent.id,
    });
    if (approval.data.type !== 'approval.required') throw new Error('not an approval');
    const approved = await clientAs(server, owner).POST('/api/v1/inbox/{id}/approve', {
      params: { path: { id: approval.data.inboxItemId } },
      body: {},
    });
    expect(approved.response.status).toBe(200);
    await reading;
    const after = events.slice(events.indexOf(approval) + 1);
    expect(after[0]).toMatchObject({ type: 'approval.decided', data: { approved: true } });
    expect(after[1]).toMatchObject({ type: 'run.started', data: { resumed: true, cause: 'approval' } });
    expect(after.find((e) => e.type === 'tool.result')?.data).toMatchObject({
      output: '{"approved":true,"action":"deploy"}',
      isError: false,
    });
    expect(events.at(-1)?.data).toMatchObject({
      type: 'run.completed',
      output: 'demo.approval returned: {"approved":true,"action":"deploy"}',
    });
    expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort((a, b) => a - b));
  });

  it('reports a failed run as run.failed', async () => {
    const res = await chatStream(server, owner, { agentId: agent.id, message: '/fail nope' });
    const events = await readChatEvents(res);
    expect(events.at(-1)?.data).toEqual({ type: 'run.failed', code: 'model_error', message: 'nope' });
  });

  it('answers errors before streaming as the envelope', async () => {
    const res = await chatStream(server, owner, { agentId: 'agt_nope', message: 'hi' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({
      error: { code: 'not_found', message: 'agent agt_nope was not found' },
    });
    const missing = await openStream(`${server.url}/api/v1/chat/stream/run_nope`, {
      token: owner.accessToken,
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      error: { code: 'not_found', message: 'run run_nope was not found' },
    });
  });
});

describe('WebSocket intent', () => {
  it('starts a turn and streams the same events over the socket', async () => {
    const socket = await openSocket(server, '/api/v1/ws', { token: owner.accessToken });
    await socket.next(ofType('connection_ack'));
    socket.send({ type: 'intent', intent: 'over the socket', agent_type: agent.slug, id: 'i1' });
    const ack = await socket.next(ofType('intent_ack'));
    expect(ack).toMatchObject({ id: 'i1', agentId: agent.id, conversationId: expect.any(String) });
    const channel = `runs:${String(ack.runId)}`;
    expect(ack.channel).toBe(channel);
    const done = await socket.next((m) => m.type === 'event' && m.event === 'run.completed', 20_000);
    const events = socket.messages.filter((m) => m.type === 'event' && m.channel === channel);
    expect(events.at(-1)).toBe(done);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]).toMatchObject({
      event: 'run.queued',
      data: { type: 'run.queued', runId: ack.runId, conversationId: ack.conversationId },
    });
    expect(
      events
        .filter((e) => e.event === 'message.delta')
        .map((e) => (e.data as { text: string }).text)
        .join(''),
    ).toBe('Echo: over the socket');

    // The same conversation, continued by session_id (its agent answers).
    socket.send({ type: 'intent', intent: 'once more', session_id: ack.conversationId, id: 'i2' });
    const ack2 = await socket.next(ofType('intent_ack', { id: 'i2' }));
    expect(ack2).toMatchObject({ conversationId: ack.conversationId, agentId: agent.id });
    await socket.next(
      (m) => m.type === 'event' && m.channel === `runs:${String(ack2.runId)}` && m.event === 'run.completed',
      20_000,
    );
    expect((await messagesOf(String(ack.conversationId))).map((m) => m.content)).toEqual([
      'over the socket',
      'Echo: over the socket',
      'once more',
      'Echo: once more',
    ]);

    socket.send({ type: 'intent', intent: 'hi', agent_id: 'agt_nope', id: 'i3' });
    expect(await socket.next(ofType('error', { id: 'i3' }))).toMatchObject({
      code: 'not_found',
      message: 'agent agt_nope was not found',
    });
    socket.send({ type: 'intent', intent: '', agent_id: agent.id, id: 'i4' });
    expect(await socket.next(ofType('error', { id: 'i4' }))).toMatchObject({ code: 'invalid_message' });
    await socket.close();
  });

  it('cancels the turn when the socket closes', async () => {
    const socket = await openSocket(server, '/api/v1/ws', { token: owner.accessToken });
    await socket.next(ofType('connection_ack'));
    socket.send({ type: 'intent', intent: 'hi\n/sleep 60000', agent_id: agent.id });
    const ack = await socket.next(ofType('intent_ack'));
    await socket.next((m) => m.type === 'event' && m.event === 'message.delta', 20_000);
    await socket.close();
    const run = await waitForRun(server, owner, String(ack.runId), ['cancelled', 'succeeded', 'failed']);
    expect(run.status).toBe('cancelled');
  });
});

describe('permissions and tenants', () => {
  it('refuses a viewer (no chat:write) on every chat surface', async () => {
    const viewer = await addMember(server, owner, 'viewer');
    const forbidden = {
      error: { code: 'forbidden', message: 'this needs the chat:write permission' },
    };
    const rest = await chat({ agentId: agent.id, message: 'hi' }, viewer);
    expect(rest.response.status).toBe(403);
    expect(rest.error).toMatchObject(forbidden);
    const stream = await chatStream(server, viewer, { agentId: agent.id, message: 'hi' });
    expect(stream.status).toBe(403);
    expect(await stream.json()).toMatchObject(forbidden);
    const socket = await openSocket(server, '/api/v1/ws', { token: viewer.accessToken });
    await socket.next(ofType('connection_ack'));
    socket.send({ type: 'intent', intent: 'hi', agent_id: agent.id, id: 'v1' });
    expect(await socket.next(ofType('error', { id: 'v1' }))).toMatchObject({
      code: 'forbidden',
      message: 'this needs the chat:write permission',
    });
    await socket.close();
  });

  it("does not let org B chat into org A's conversation or with org A's agent", async () => {
    const other = await registerOwner(server, 'chat-b');
    const theirs = await makeAgent(server, other);
    const mine = await chat({ agentId: agent.id, message: 'private' });
    const intoConversation = await chat(
      { agentId: theirs.id, message: 'let me in', conversationId: mine.data!.conversationId },
      other,
    );
    expect(intoConversation.response.status).toBe(404);
    expect(intoConversation.error).toMatchObject({
      error: { code: 'not_found', message: `conversation ${mine.data!.conversationId} was not found` },
    });
    const withAgent = await chat({ agentId: agent.id, message: 'let me in' }, other);
    expect(withAgent.response.status).toBe(404);
    expect(withAgent.error).toMatchObject({
      error: { code: 'not_found', message: `agent ${agent.id} was not found` },
    });
    const follow = await openStream(`${server.url}/api/v1/chat/stream/${mine.data!.runId}`, {
      token: other.accessToken,
    });
    expect(follow.status).toBe(404);
    const socket = await openSocket(server, '/api/v1/ws', { token: other.accessToken });
    await socket.next(ofType('connection_ack'));
    socket.send({ type: 'intent', intent: 'hi', session_id: mine.data!.conversationId, id: 'x1' });
    expect(await socket.next(ofType('error', { id: 'x1' }))).toMatchObject({
      code: 'not_found',
      message: `conversation ${mine.data!.conversationId} was not found`,
    });
    socket.send({ type: 'intent', intent: 'hi', agent_type: agent.slug, id: 'x2' });
    expect(await socket.next(ofType('error', { id: 'x2' }))).toMatchObject({ code: 'not_found' });
    await socket.close();
    expect((await messagesOf(mine.data!.conversationId)).map((m) => m.content)).toEqual([
      'private',
      'Echo: private',
    ]);
  });
});
