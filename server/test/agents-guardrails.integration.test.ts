import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAgent } from './kit/agents.ts';
import { clientAs, rawRequest } from './kit/api-client.ts';
import { makeApiKey } from './kit/chat.ts';
import { type MockOpenAI, startMockOpenAI } from './kit/mock-openai.ts';
import { startTestServer, type TestServer } from './kit/test-server.ts';
import { registerOwner, type Session } from './kit/users.ts';

/** Per-agent guardrails: rules kept with the agent, checked on the user message and on the reply. */

let mock: MockOpenAI;
let server: TestServer;
let owner: Session;

beforeAll(async () => {
  mock = await startMockOpenAI();
  server = await startTestServer({ env: { OPENAI_API_KEY: 'sk-mock', OPENAI_BASE_URL: mock.url } });
  owner = await registerOwner(server, 'guard');
});
afterAll(async () => {
  await server?.close();
  await mock?.close();
});

const chat = (agentId: string, message: string) =>
  clientAs(server, owner).POST('/api/v1/chat', { body: { agentId, message } });

/** The conversation a refused turn names in its error's details. */
const conversationOf = (res: { error?: { error: { details?: unknown } } }) =>
  (res.error!.error.details as { conversationId: string }).conversationId;

async function said(conversationId: string): Promise<string[][]> {
  const res = await clientAs(server, owner).GET('/api/v1/conversations/{id}/messages', {
    params: { path: { id: conversationId } },
  });
  return res.data!.items.map((m) => [m.role, m.content]);
}

describe('agent guardrails', () => {
  it('are kept with the agent and its versions; unknown kinds are refused', async () => {
    // A rule kind the API does not know: a body the typed client would not send, so raw.
    const bad = await rawRequest(server, 'POST', '/api/v1/agents', {
      token: owner.accessToken,
      body: { name: 'Bad rules', guardrails: [{ kind: 'regex', on: 'input', pattern: '(a+)+$' }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'validation_failed' } });

    const rules = [{ kind: 'max_length' as const, on: 'input' as const, chars: 100 }];
    const agent = await makeAgent(server, owner, { guardrails: rules });
    expect(agent.guardrails).toEqual(rules);
    const next = [{ kind: 'pii' as const, on: 'output' as const, types: ['email' as const] }];
    const api = clientAs(server, owner);
    const byId = { params: { path: { id: agent.id } } };
    const changed = await api.PATCH('/api/v1/agents/{id}', { ...byId, body: { guardrails: next } });
    expect(changed.data).toMatchObject({ guardrails: next, version: 2 });
    const versions = await api.GET('/api/v1/agents/{id}/versions', byId);
    expect(versions.data!.items.map((v) => [v.version, v.agent.guardrails])).toEqual([
      [2, next],
      [1, rules],
    ]);
  });

  it('an input rule stops the turn before the model is called; the message is kept', async () => {
    const agent = await makeAgent(server, owner, {
      model: 'openai:gpt-mock',
      guardrails: [{ kind: 'blocked_terms', on: 'input', terms: ['project x'] }],
    });
    const before = mock.requests.length;
    const res = await chat(agent.id, 'What is Project X about?');
    expect(res.response.status).toBe(422);
    expect(res.error?.error).toMatchObject({
      code: 'guardrail',
      message: 'input guardrail: the message mentions the blocked term "project x"',
    });
    expect(mock.requests.length).toBe(before);
    expect(await said(conversationOf(res))).toEqual([['user', 'What is Project X about?']]);

    // A message that passes reaches the model as usual.
    mock.enqueue({ text: 'Happy to help.' });
    const ok = await chat(agent.id, 'What is project planning?');
    expect(ok.data!.reply).toBe('Happy to help.');
  });

  it('an output rule blocks the reply, which is not kept, on every surface', async () => {
    const agent = await makeAgent(server, owner, {
      guardrails: [{ kind: 'pii', on: 'output', types: ['email'] }],
    });
    const res = await chat(agent.id, 'my address is ada@example.com');
    expect(res.response.status).toBe(422);
    expect(res.error?.error).toMatchObject({
      code: 'guardrail',
      message: 'output guardrail: the reply contains an email address',
    });
    expect(await said(conversationOf(res))).toEqual([['user', 'my address is ada@example.com']]);

    // The OpenAI surface runs the turn in its request; the same rule answers in OpenAI's error shape.
    const key = await makeApiKey(server, owner, ['chat:write']);
    const completion = await clientAs(server, key).POST('/v1/chat/completions', {
      body: { model: agent.slug, messages: [{ role: 'user', content: 'mail ada@example.com' }] },
    });
    expect(completion.response.status).toBe(422);
    expect(completion.error).toMatchObject({
      error: { code: 'guardrail', message: 'output guardrail: the reply contains an email address' },
    });
  });
});
