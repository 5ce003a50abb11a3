import { blankVariant, configProblem, type Draft, type VariantDraft } from '../draft';
import type { FieldProblem } from '../types';
import { FieldError } from './FieldError';

/** Rows of variants: add/remove, weight or allocation, control marker, JSON config. */
export function VariantEditor({
  draft,
  problems,
  locked,
  onChange,
}: {
  draft: Draft;
  problems: FieldProblem[];
  locked: boolean;
  onChange: (next: Partial<Draft>) => void;
}) {
  const set = (i: number, patch: Partial<VariantDraft>) =>
    onChange({ variants: draft.variants.map((v, j) => (j === i ? { ...v, ...patch } : v)) });
  const setControl = (i: number) =>
    onChange({ variants: draft.variants.map((v, j) => ({ ...v, is_control: i === j })) });
  const add = () =>
    onChange({
      variants: [
        ...draft.variants,
        blankVariant(`variant-${draft.variants.length}`, draft.split === 'allocation' ? '' : '1'),
      ],
    });
  const remove = (i: number) => onChange({ variants: draft.variants.filter((_, j) => j !== i) });
  const shareLabel = draft.split === 'allocation' ? 'Allocation (%)' : 'Weight';
  const total = draft.variants.reduce((s, v) => s + (Number(v.share) || 0), 0);

  return (
    <fieldset class="variants" disabled={locked} data-field="variants">
      <legend>Variants</legend>
      <div class="split-mode" role="radiogroup" aria-label="How traffic is split">
        <label class="inline">
          <input
            type="radio"
            name="split"
            checked={draft.split === 'weight'}
            onChange={() => onChange({ split: 'weight' })}
          />
          Relative weights
        </label>
        <label class="inline">
          <input
            type="radio"
            name="split"
            checked={draft.split === 'allocation'}
            onChange={() => onChange({ split: 'allocation' })}
          />
          Allocations (% summing to 100)
        </label>
        <span class="muted small" data-testid="split-total">
          {draft.split === 'allocation' ? `total ${Number(total.toFixed(6))}%` : `total weight ${Number(total.toFixed(6))}`}
        </span>
      </div>
      <FieldError problems={problems} field="variants" />
      {draft.variants.map((v, i) => {
        const jsonError = configProblem(v.config);
        return (
          <div class="variant-row" key={i} data-testid="variant-row">
            <div class="variant-main">
              <label>
                Name
                <input
                  value={v.name}
                  data-field={`variants[${i}].name`}
                  onInput={(e) => set(i, { name: e.currentTarget.value })}
                />
                <FieldError problems={problems} field={`variants[${i}].name`} />
              </label>
              <label>
                {shareLabel}
                <input
                  inputMode="decimal"
                  value={v.share}
                  data-field={`variants[${i}].${draft.split}`}
                  onInput={(e) => set(i, { share: e.currentTarget.value })}
                />
                <FieldError problems={problems} field={`variants[${i}].${draft.split}`} percent={draft.split === 'allocation'} />
              </label>
              <label class="inline control-marker">
                <input type="radio" name="control" checked={v.is_control} onChange={() => setControl(i)} />
                Control
              </label>
              <button
                type="button"
                class="danger small"
                onClick={() => remove(i)}
                aria-label={`Remove variant ${v.name || i + 1}`}
              >
                Remove
              </button>
            </div>
            <FieldError problems={problems} field={`variants[${i}]`} />
            <FieldError problems={problems} field={`variants[${i}].is_control`} />
            <details open={v.description !== '' || v.config !== ''}>
              <summary>Description and config</summary>
              <label>
                Description
                <input
                  value={v.description}
                  data-field={`variants[${i}].description`}
                  onInput={(e) => set(i, { description: e.currentTarget.value })}
                />
                <FieldError problems={problems} field={`variants[${i}].description`} />
              </label>
              <label>
                Config (JSON handed to the application with the assignment)
                <textarea
                  class="mono"
                  rows={3}
                  value={v.config}
                  data-field={`variants[${i}].config`}
                  aria-invalid={jsonError ? 'true' : undefined}
                  placeholder='{"color": "green"}'
                  onInput={(e) => set(i, { config: e.currentTarget.value })}
                />
              </label>
              {jsonError && (
                <p class="field-error" data-field-error={`variants[${i}].config`}>
                  {jsonError}
                </p>
              )}
              {!jsonError && <FieldError problems={problems} field={`variants[${i}].config`} />}
            </details>
          </div>
        );
      })}
      <button type="button" onClick={add} data-testid="add-variant">
        Add variant
      </button>
    </fieldset>
  );
}
