import { describe, expect, it } from 'vitest';
import { parseChannel } from './channels.ts';
import { parseClientMessage } from './protocol.ts';
import { protocolCredential } from './routes.ts';

describe('parseClientMessage', () => {
  it('accepts the four client messages', () => {
    expect(parseClientMessage('{"type":"auth","token":"t"}')).toEqual({
      ok: true,
      message: { type: 'auth', token: 't' },
    });
    expect(parseClientMessage('{"type":"subscribe","channel":"runs:run_1","afterSeq":4,"id":"a"}')).toEqual({
      ok: true,
      message: { type: 'subscribe', channel: 'runs:run_1', afterSeq: 4, id: 'a' },
    });
    expect(parseClientMessage('{"type":"ping"}')).toMatchObject({ ok: true });
  });

  it('names what is wrong, and keeps the id so the client can match the answer', () => {
    expect(parseClientMessage('nope')).toEqual({
      ok: false,
      code: 'invalid_json',
      message: 'the message is not valid JSON',
    });
    expect(parseClientMessage('{"type":"dance","id":"x"}')).toEqual({
      ok: false,
      code: 'unknown_message_type',
      message: 'unknown message type "dance"; expected one of auth, subscribe, unsubscribe, ping',
      id: 'x',
    });
    expect(
      parseClientMessage('{"type":"subscribe","afterSeq":-1,"channel":"dashboard","id":"y"}'),
    ).toMatchObject({
      ok: false,
      code: 'invalid_message',
      message: expect.stringMatching(/^afterSeq: /),
      id: 'y',
    });
  });
});

describe('parseChannel', () => {
  it('splits a kind from an optional id', () => {
    expect(parseChannel('dashboard')).toEqual({ name: 'dashboard', kind: 'dashboard', id: undefined });
    expect(parseChannel('runs:run_01abc')).toEqual({ name: 'runs:run_01abc', kind: 'runs', id: 'run_01abc' });
  });

  it('refuses anything else', () => {
    for (const bad of ['', 'Runs:1', 'runs:', 'runs:a:b', 'runs:a b', `runs:${'x'.repeat(101)}`, '1runs']) {
      expect(parseChannel(bad), bad).toBeUndefined();
    }
  });
});

describe('protocolCredential', () => {
  it('takes the token after `bearer` in Sec-WebSocket-Protocol', () => {
    expect(protocolCredential('bearer, abc.def.ghi')).toBe('abc.def.ghi');
    expect(protocolCredential('Bearer,sbk_123')).toBe('sbk_123');
  });

  it('ignores other subprotocols and a bare `bearer`', () => {
    expect(protocolCredential(undefined)).toBeUndefined();
    expect(protocolCredential('graphql-ws')).toBeUndefined();
    expect(protocolCredential('bearer')).toBeUndefined();
  });
});
