/** One choice among a list's filters: a labelled select whose first option (value '') means "any". */
export function FilterSelect<V extends string>({
  label,
  value,
  onChange,
  any,
  options,
  testId,
}: {
  label: string;
  value: V | '';
  onChange: (value: V | '') => void;
  /** The label of the '' option; none when the filter always has a value. */
  any?: string;
  options: ReadonlyArray<{ value: V; label: string }>;
  testId?: string;
}) {
  return (
    <label className="inline-field">
      <span>{label}</span>
      <select value={value} onChange={(e) => onChange(e.target.value as V | '')} data-testid={testId}>
        {any === undefined ? null : <option value="">{any}</option>}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}
