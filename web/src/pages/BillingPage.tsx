import { useState } from 'react';
import { OperatorPanel, OwnEvents } from '../billing/OperatorPanel.tsx';
import { SubscriptionPanel } from '../billing/SubscriptionPanel.tsx';
import { PageHeader } from '../components/states.tsx';
import { useBillingLive } from '../queries/billing.ts';

/**
 * Billing: the plan in force with what the org uses of its limits, the plans to change to (Checkout or at
 * once), the portal, invoices; for the operator's admins, the plan editor and the Stripe event store.
 * Live: a `billing` event reads everything again, and a failed payment says so at the top at once.
 */
export function BillingPage() {
  const [alert, setAlert] = useState<string>();
  useBillingLive((event) => {
    const data = (event.data ?? {}) as { invoiceId?: string };
    if (event.event === 'invoice.payment_failed')
      setAlert(
        `A payment failed${data.invoiceId ? ` (invoice ${data.invoiceId})` : ''}. Update the card to keep the plan.`,
      );
  });
  return (
    <div className="page billing-page">
      <PageHeader title="Billing" />
      {alert ? (
        <div className="problem" role="alert" data-testid="billing-alert">
          {alert}
        </div>
      ) : null}
      <SubscriptionPanel />
      <OperatorPanel />
      <OwnEvents />
    </div>
  );
}
