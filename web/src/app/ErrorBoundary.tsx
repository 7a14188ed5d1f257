import { Component, type ErrorInfo, type ReactNode } from 'react';
import { reportRenderError, selfReporting } from './selfReport.ts';

interface Props {
  children: ReactNode;
  /** Anything that, when it changes, gives the page another try (the address: moving on resets it). */
  resetKey?: string;
}

interface State {
  error: Error | undefined;
}

/**
 * Catches a page that fails to render: the rest of the console (navigation, header) stays usable, the
 * failure is reported to the built-in error project, and the person gets a friendly way out.
 */
export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: undefined };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    reportRenderError(error, info.componentStack ?? undefined);
  }

  override componentDidUpdate(previous: Props): void {
    if (this.state.error && previous.resetKey !== this.props.resetKey) this.setState({ error: undefined });
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="crash card" role="alert" data-testid="page-crash">
        <h1>This page stopped working</h1>
        <p>
          Something went wrong while showing it.{' '}
          {selfReporting() ? 'It has been reported to the operator’s error tracker. ' : ''}Reloading the page
          usually puts it right, and the rest of the console still works.
        </p>
        <details>
          <summary>What went wrong</summary>
          <pre className="code-block small-code">{`${error.name}: ${error.message}`}</pre>
        </details>
        <div className="row-actions">
          <button type="button" className="btn btn-primary" onClick={() => window.location.reload()}>
            Reload
          </button>
          <button type="button" className="btn" onClick={() => this.setState({ error: undefined })}>
            Try again
          </button>
        </div>
      </div>
    );
  }
}
