import { z } from 'zod';

export const webhookSchema = z
  .object({ url: z.string(), createdAt: z.string(), updatedAt: z.string() })
  .meta({ id: 'Webhook' });
export const putWebhookBody = z
  .object({ url: z.url().refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL') })
  .meta({ id: 'PutWebhookRequest' });
