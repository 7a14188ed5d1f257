import type { ChannelRegistry } from '../realtime/channels.ts';

/** `billing` on the WebSocket: subscription.updated, invoice.paid, invoice.payment_failed, billing.event. */
export function registerBillingChannel(channels: ChannelRegistry): void {
  channels.mapEventPermission('invoice', 'billing:read');
  channels.register({
    kind: 'billing',
    hasId: false,
    permission: 'billing:read',
    topic: (p) => `org:${p.orgId}`,
    accepts: (event, p) => /^(subscription|invoice|billing)\./.test(event.type) && channels.maySee(event, p),
  });
}
