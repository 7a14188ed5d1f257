import type { UseMutationResult } from '@tanstack/react-query';
import type { FormEvent, ReactNode } from 'react';
import { FormError } from './FormField.tsx';
import { PageHeader, QueryState } from './states.tsx';

/** One column of a resource table: its heading and what each row shows in it. */
export interface Column<Row> {
  header: ReactNode;
  cell: (row: Row) => ReactNode;
  className?: string;
  headerClassName?: string;
}

/**
 * The first column of most resource tables: a row's name (or a link to it) with a smaller line under it
 * (a prefix, a slug, an email address).
 */
export interface NameColumn<Row> {
  main: (row: Row) => ReactNode;
  under: (row: Row) => ReactNode;
  underClassName?: string;
}

function nameColumn<Row>({
  main,
  under,
  underClassName = 'muted mono small-inline',
}: NameColumn<Row>): Column<Row> {
  return {
    header: 'Name',
    className: 'cell-main',
    cell: (row) => (
      <>
        {main(row)}
        <div className={underClassName}>{under(row)}</div>
      </>
    ),
  };
}

const byId = (row: unknown) => (row as { id: string }).id;

/**
 * The page of one of the org's resources (agents, members, roles, API keys): a header with its actions,
 * the form that adds one (for those who may), a notice (why a change was refused), then the list as a
 * table once loaded, or `empty` when there is nothing in it. `name` puts a Name column first; `rowActions` adds a last column, without a
 * visible heading, for each row's buttons (none when the reader may not use them). Rows are told apart by
 * their `id` unless `rowKey` says otherwise.
 */
export function ResourcePage<Row>({
  title,
  actions,
  form,
  notice,
  query,
  loading,
  empty,
  name,
  columns,
  rowActions,
  rowKey = byId,
  rowTestId,
  tableClassName = 'table',
}: {
  title: string;
  actions?: ReactNode;
  form?: ReactNode;
  notice?: ReactNode;
  query: { data: Row[] | undefined; error: unknown; isPending: boolean; refetch: () => unknown };
  loading: string;
  empty: ReactNode;
  name?: NameColumn<Row>;
  columns: Array<Column<Row>>;
  rowActions?: ((row: Row) => ReactNode) | undefined;
  rowKey?: (row: Row) => string;
  rowTestId?: string;
  tableClassName?: string;
}) {
  const shown: Array<Column<Row>> = [
    ...(name ? [nameColumn(name)] : []),
    ...columns,
    ...(rowActions ? [{ header: <span className="sr-only">Actions</span>, cell: rowActions }] : []),
  ];
  return (
    <div className="page-body">
      <PageHeader title={title}>{actions}</PageHeader>
      {form}
      {notice}
      <QueryState query={query} loading={loading}>
        {(rows) =>
          rows.length === 0 ? (
            empty
          ) : (
            <div className="card table-wrap">
              <table className={tableClassName}>
                <thead>
                  <tr>
                    {shown.map((c, i) => (
                      // biome-ignore lint/suspicious/noArrayIndexKey: columns have no identity but their place
                      <th key={i} className={c.headerClassName}>
                        {c.header}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {rows.map((row) => (
                    <tr key={rowKey(row)} data-testid={rowTestId}>
                      {shown.map((c, i) => (
                        // biome-ignore lint/suspicious/noArrayIndexKey: columns have no identity but their place
                        <td key={i} className={c.className}>
                          {c.cell(row)}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryState>
    </div>
  );
}

/**
 * The form that adds a resource: a card with its heading, the fields, the error of a failed submit that
 * its fields do not already explain, and the submit button, which says so while the request runs.
 */
export function CreateForm({
  id,
  title,
  mutation,
  fields = ['name'],
  submit,
  busyLabel = 'Creating…',
  disabled = false,
  onSubmit,
  children,
}: {
  id: string;
  title: string;
  mutation: Pick<UseMutationResult<unknown, unknown, never, unknown>, 'error' | 'isPending'>;
  /** The body fields shown with their own errors. */
  fields?: string[];
  submit: string;
  busyLabel?: string;
  disabled?: boolean;
  onSubmit: () => void;
  children: ReactNode;
}) {
  function send(e: FormEvent) {
    e.preventDefault();
    onSubmit();
  }
  return (
    <form className="form card" onSubmit={send} aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{title}</h2>
      {children}
      <FormError error={mutation.error} fields={fields} />
      <div className="row-actions">
        <button type="submit" className="btn btn-primary" disabled={mutation.isPending || disabled}>
          {mutation.isPending ? busyLabel : submit}
        </button>
      </div>
    </form>
  );
}

/** A button that asks first (`question`, with the browser's confirm) and acts only on yes. */
export function ConfirmButton({
  question,
  onConfirm,
  children,
  className = 'btn btn-small btn-danger',
  label,
  disabled = false,
}: {
  question: string | (() => boolean);
  onConfirm: () => void;
  children: ReactNode;
  className?: string;
  label?: string;
  disabled?: boolean;
}) {
  const ask = () => (typeof question === 'string' ? window.confirm(question) : question());
  return (
    <button
      type="button"
      className={className}
      aria-label={label}
      disabled={disabled}
      onClick={() => {
        if (ask()) onConfirm();
      }}
    >
      {children}
    </button>
  );
}
