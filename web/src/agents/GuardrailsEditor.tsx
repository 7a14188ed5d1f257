import { useId, useRef } from 'react';
import { FormField, fieldErrorWithin } from '../components/FormField.tsx';
import {
  type GuardrailDraft,
  type GuardrailProblems,
  guardrailProblems,
  KIND_LABELS,
  MAX_GUARDRAILS,
  newGuardrailDraft,
  PII_LABELS,
  type PiiType,
  SIDE_LABELS,
} from './guardrails.ts';

type Change = (change: Partial<GuardrailDraft>) => void;

const toggle = (list: PiiType[], value: PiiType, on: boolean) =>
  on ? [...new Set([...list, value])] : list.filter((v) => v !== value);

/** The personal data a rule looks for, as a group of checkboxes with one message under them. */
function PiiTypes({ rule, error, onChange }: { rule: GuardrailDraft; error?: string; onChange: Change }) {
  const errorId = useId();
  return (
    <fieldset className="guardrail-types" aria-describedby={error ? errorId : undefined}>
      <legend>Personal data to look for</legend>
      {(Object.keys(PII_LABELS) as PiiType[]).map((type) => (
        <label key={type} className="check-row">
          <input
            type="checkbox"
            checked={rule.types.includes(type)}
            aria-invalid={error ? true : undefined}
            onChange={(e) => onChange({ types: toggle(rule.types, type, e.target.checked) })}
          />
          <span>
            {PII_LABELS[type]}
            {type === 'credit_card' ? (
              <span className="muted"> (only numbers that pass the Luhn check)</span>
            ) : null}
          </span>
        </label>
      ))}
      {error ? (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}

/** The field the rule's kind uses: its terms, its maximum or the personal data it looks for. */
function RuleSettings({
  rule,
  problems,
  onChange,
}: {
  rule: GuardrailDraft;
  problems: GuardrailProblems;
  onChange: Change;
}) {
  if (rule.kind === 'blocked_terms') {
    return (
      <FormField
        label="Blocked terms"
        hint="Separate terms with commas or line breaks. Each matches as a whole word or phrase, in any case."
        error={problems.terms}
      >
        {(field) => (
          <textarea
            {...field}
            rows={2}
            value={rule.terms}
            onChange={(e) => onChange({ terms: e.target.value })}
          />
        )}
      </FormField>
    );
  }
  if (rule.kind === 'max_length') {
    return (
      <FormField
        label="Maximum characters"
        hint={
          rule.on === 'input'
            ? 'A longer message is refused before it reaches the model.'
            : 'A longer reply fails the turn and is not kept in the conversation.'
        }
        error={problems.chars}
      >
        {(field) => (
          <input
            {...field}
            className="input-number"
            inputMode="numeric"
            value={rule.chars}
            onChange={(e) => onChange({ chars: e.target.value })}
          />
        )}
      </FormField>
    );
  }
  return <PiiTypes rule={rule} error={problems.types} onChange={onChange} />;
}

/** A labelled select of fixed options, each value with its label. */
function Choice<T extends string>({
  label,
  options,
  value,
  onChange,
}: {
  label: string;
  options: Record<T, string>;
  value: T;
  onChange: (value: T) => void;
}) {
  return (
    <FormField label={label}>
      {(field) => (
        <select {...field} value={value} onChange={(e) => onChange(e.target.value as T)}>
          {(Object.entries(options) as Array<[T, string]>).map(([option, text]) => (
            <option key={option} value={option}>
              {text}
            </option>
          ))}
        </select>
      )}
    </FormField>
  );
}

/** One rule: what it checks, on which side, its settings, and a way to remove it. */
function GuardrailRule({
  rule,
  number,
  problems,
  onChange,
  onRemove,
}: {
  rule: GuardrailDraft;
  number: number;
  problems: GuardrailProblems;
  onChange: Change;
  /** Absent for those who may only read the agent. */
  onRemove: (() => void) | undefined;
}) {
  return (
    <fieldset className="guardrail-rule" data-testid="guardrail-rule" data-key={rule.key}>
      <legend>Guardrail {number}</legend>
      <div className="form-grid form-grid-tight">
        <Choice
          label="Check"
          options={KIND_LABELS}
          value={rule.kind}
          onChange={(kind) => onChange({ kind })}
        />
        <Choice
          label="Applies to"
          options={SIDE_LABELS}
          value={rule.on}
          onChange={(on) => onChange({ on })}
        />
      </div>
      <RuleSettings rule={rule} problems={problems} onChange={onChange} />
      {onRemove ? (
        <div className="row-actions">
          <button
            type="button"
            className="btn btn-small btn-ghost"
            aria-label={`Remove guardrail ${number}`}
            onClick={onRemove}
          >
            Remove
          </button>
        </div>
      ) : null}
    </fieldset>
  );
}

/**
 * The agent's guardrails: checks on each new user message or on the agent's reply, listed, added, edited
 * and removed in place. A rule's problems show once `checked` (after a first attempt to save); issues the
 * server found with a rule show under its field either way.
 */
export function GuardrailsEditor({
  rules,
  onChange,
  checked,
  saveError,
  readOnly,
}: {
  rules: GuardrailDraft[];
  onChange: (rules: GuardrailDraft[]) => void;
  checked: boolean;
  saveError: unknown;
  readOnly: boolean;
}) {
  const hintId = useId();
  const box = useRef<HTMLFieldSetElement>(null);
  // The control that appeared or went away was the keyboard's place: put focus somewhere that makes sense.
  const focusAfterRender = (selector: string) =>
    requestAnimationFrame(() => box.current?.querySelector<HTMLElement>(selector)?.focus());
  const add = () => {
    const rule = newGuardrailDraft();
    onChange([...rules, rule]);
    focusAfterRender(`[data-key="${rule.key}"] select`);
  };
  const remove = (key: string) => {
    onChange(rules.filter((r) => r.key !== key));
    focusAfterRender('[data-add-guardrail]');
  };
  const update = (key: string, change: Partial<GuardrailDraft>) =>
    onChange(rules.map((r) => (r.key === key ? { ...r, ...change } : r)));
  const problemsOf = (rule: GuardrailDraft, index: number): GuardrailProblems => {
    const found = checked ? guardrailProblems(rule) : {};
    const server = (field: keyof GuardrailProblems) =>
      fieldErrorWithin(saveError, `guardrails.${index}.${field}`);
    return {
      terms: found.terms ?? server('terms'),
      chars: found.chars ?? server('chars'),
      types: found.types ?? server('types'),
    };
  };
  return (
    <fieldset
      ref={box}
      className="checks-group guardrails"
      aria-describedby={hintId}
      data-testid="guardrails"
    >
      <legend>Guardrails</legend>
      <p className="hint" id={hintId}>
        Checks on each new user message (input) or on the agent's reply (output). One that trips ends the turn
        with its reason; a message it refuses never reaches the model.
      </p>
      {rules.length === 0 ? <p className="muted">No guardrails: every message reaches the agent.</p> : null}
      {rules.map((rule, index) => (
        <GuardrailRule
          key={rule.key}
          rule={rule}
          number={index + 1}
          problems={problemsOf(rule, index)}
          onChange={(change) => update(rule.key, change)}
          onRemove={readOnly ? undefined : () => remove(rule.key)}
        />
      ))}
      {readOnly ? null : (
        <div className="row-actions">
          <button
            type="button"
            className="btn btn-small"
            data-add-guardrail
            disabled={rules.length >= MAX_GUARDRAILS}
            onClick={add}
          >
            Add guardrail
          </button>
          {rules.length >= MAX_GUARDRAILS ? (
            <span className="hint">An agent takes at most {MAX_GUARDRAILS} guardrails.</span>
          ) : null}
        </div>
      )}
    </fieldset>
  );
}
