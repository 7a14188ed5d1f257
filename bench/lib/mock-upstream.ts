/**
 * The mock OpenAI upstream of `bench/chat.ts` in a process of its own, as a real upstream would be:
 * the straight target and Switchboard's model calls both cross a process boundary to reach it.
 * Scripted through its control routes (`POST /mock/enqueue`, `POST /mock/reset`).
 */
import { startMockOpenAI } from '../../server/test/kit/mock-openai.ts';

const mock = await startMockOpenAI();
process.send?.({ type: 'ready', url: mock.url });
process.on('disconnect', () => void mock.close().then(() => process.exit(0)));
