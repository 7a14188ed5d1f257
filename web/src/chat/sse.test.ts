import { describe, expect, it } from 'vitest';
import { createSseParser, readSse, type SseEvent } from './sse.ts';

function parseAll(...chunks: string[]): SseEvent[] {
  const out: SseEvent[] = [];
  const feed = createSseParser((e) => out.push(e));
  for (const c of chunks) feed(c);
  return out;
}

describe('createSseParser', () => {
  it('reads id, event and data, and skips comments and retry lines', () => {
    expect(parseAll('retry: 1000\n\n: hi\nid: 3\nevent: message.delta\ndata: {"text":"a"}\n\n')).toEqual([
      { id: '3', event: 'message.delta', data: '{"text":"a"}' },
    ]);
  });

  it('joins events split across chunks anywhere, CRLF included', () => {
    expect(parseAll('id: 1\r', '\nevent: x\r\nda', 'ta: one\r\ndata: two\r\n', '\r\n')).toEqual([
      { id: '1', event: 'x', data: 'one\ntwo' },
    ]);
  });

  it('names an unnamed event "message" and keeps nothing of an event without data', () => {
    expect(parseAll('event: ping\n\ndata: x\n\n')).toEqual([{ id: undefined, event: 'message', data: 'x' }]);
  });
});

describe('readSse', () => {
  it('decodes a byte stream, multi-byte characters split across chunks included', async () => {
    const bytes = new TextEncoder().encode('id: 1\nevent: message.delta\ndata: {"text":"héllo"}\n\n');
    const split = bytes.indexOf(0xc3) + 1;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, split));
        c.enqueue(bytes.slice(split));
        c.close();
      },
    });
    const out: SseEvent[] = [];
    await readSse(body, (e) => out.push(e), new AbortController().signal);
    expect(out).toEqual([{ id: '1', event: 'message.delta', data: '{"text":"héllo"}' }]);
  });
});
