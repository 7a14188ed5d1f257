import { type ComponentType, lazy, Suspense } from 'react';
import { Loading } from '../components/states.tsx';
import type { IssueDetail } from '../queries/errors.ts';

/**
 * MOUNT POINT FOR THE FIX PANEL (issue 17, "AI fixes"). The Fix panel lives in `web/src/errors/FixPanel.tsx`
 * (built on its own branch) and exports `FixPanel({ issue }: { issue: IssueDetail })`. It is found at build
 * time through `import.meta.glob`, so the issue page builds with or without it: while the file is absent
 * this section is left out, and once it lands the panel shows under the issue's header with no change here.
 */
const found = import.meta.glob<{ FixPanel: ComponentType<{ issue: IssueDetail }> }>('./FixPanel.tsx');
const load = found['./FixPanel.tsx'];
const FixPanel = load ? lazy(() => load().then((m) => ({ default: m.FixPanel }))) : undefined;

/** The Fix panel for this issue when the console has one; nothing otherwise. */
export function FixPanelSlot({ issue }: { issue: IssueDetail }) {
  if (!FixPanel) return null;
  return (
    <section className="fix-slot" aria-label="AI fix" data-testid="fix-panel-slot">
      <Suspense fallback={<Loading label="Opening the fix panel…" />}>
        <FixPanel issue={issue} />
      </Suspense>
    </section>
  );
}
