import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat';
import { createCompletionsClient } from '../../server/src/providers/models/completions-client.ts';
import { readJson } from '../../server/test/kit/mock-openai.ts';

/**
 * The least a relay can do, for `bench/chat.ts` to measure beside Switchboard, in a process of its
 * own as Switchboard has (the upstream's URL is the first argument): a bare Node HTTP server that parses a completion request, sends it upstream over the same transport Switchboard
 * uses (agents/models/completions-client.ts) and answers with the upstream's JSON. No auth, no
 * agent, no record. What it adds over calling the upstream straight is the cost of the extra hop on
 * this machine, which no relay can avoid; what Switchboard adds over it is its own work.
 */
async function startBareRelay(upstreamUrl: string, apiKey: string) {
  const official = new OpenAI({ apiKey, baseURL: upstreamUrl, maxRetries: 0 });
  const upstream = createCompletionsClient(official, { apiKey, maxRetries: 0, timeoutMs: 30_000 });
  const server = createServer((req, res) => {
    readJson(req)
      .then((body) =>
        upstream.chat.completions.create({
          ...(body as ChatCompletionCreateParamsNonStreaming),
          stream: false,
        }),
      )
      .then(
        (completion) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(completion));
        },
        (err: unknown) => {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: String(err) } }));
        },
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const relay = await startBareRelay(process.argv[2]!, 'sk-bench');
process.send?.({ type: 'ready', url: relay.url });
process.on('disconnect', () => void relay.close().then(() => process.exit(0)));
