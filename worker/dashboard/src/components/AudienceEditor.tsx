import { useEffect, useState } from 'preact/hooks';
import { ApiError, request } from '../api';
import type { Draft } from '../draft';
import { conditionToRows, ROW_OPERATORS, rowsToCondition, type TargetingRow } from '../targeting';
import type { Experiment, FieldProblem, Holdout, Integrations, TargetingCheck } from '../types';
import { FieldError } from './FieldError';

/** Rows for typed JSON when it is that simple, else `null` (raw JSON only). */
function rowsOf(text: string): TargetingRow[] | null {
  if (!text.trim()) return [];
  try {
    return conditionToRows(JSON.parse(text));
  } catch {
    return null;
  }
}

/** How long typing must pause before the server checks the condition. */
const CHECK_DELAY_MS = 300;

/** Who may enter: the targeting rows or raw JSON (checked by the server as you type), the
 * layer range beside the ranges already taken, and the holdouts. */
export function AudienceEditor({
  draft,
  problems,
  experimentId,
  onChange,
}: {
  draft: Draft;
  problems: FieldProblem[];
  experimentId?: string;
  onChange: (patch: Partial<Draft>) => void;
}) {
  const [holdouts, setHoldouts] = useState<Holdout[]>([]);
  const [others, setOthers] = useState<Experiment[]>([]);
  const [verdict, setVerdict] = useState<{ ok: boolean; text: string } | null>(null);
  const [integrations, setIntegrations] = useState<Integrations | null>(null);

  useEffect(() => {
    request<Holdout[]>('GET', '/api/v1/holdouts').then(setHoldouts).catch(() => setHoldouts([]));
    request<Experiment[]>('GET', '/api/v1/experiments').then(setOthers).catch(() => setOthers([]));
    request<Integrations>('GET', '/api/v1/integrations').then(setIntegrations).catch(() => setIntegrations(null));
  }, []);
  const toggles = integrations?.unleash.toggles ?? [];

  // The server's own rule, as the user types (debounced).
  useEffect(() => {
    const text = draft.targeting.trim();
    if (!text) {
      setVerdict(null);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      setVerdict({ ok: false, text: `not valid JSON: ${(e as Error).message}` });
      return;
    }
    const timer = setTimeout(() => {
      request<TargetingCheck>('POST', '/api/v1/targeting/check', { targeting: parsed })
        .then((r) => setVerdict({ ok: true, text: `valid; reads ${r.attributes.join(', ') || 'no attributes'}` }))
        .catch((e: ApiError) => {
          const p = e.problems()[0];
          setVerdict({ ok: false, text: p ? `${p.field}: ${p.message}` : e.message });
        });
    }, CHECK_DELAY_MS);
    return () => clearTimeout(timer);
  }, [draft.targeting]);

  const rows = draft.targetingRows;
  const setRows = (next: TargetingRow[]) => {
    const condition = rowsToCondition(next);
    onChange({ targetingRows: next, targeting: condition ? JSON.stringify(condition, null, 2) : '' });
  };
  const editRow = (i: number, patch: Partial<TargetingRow>) => rows && setRows(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  const layer = draft.layerName.trim();
  const taken = others.filter(
    (e) => e.id !== experimentId && e.layer?.name === layer && (e.status === 'running' || e.status === 'paused'),
  );
  const layerNames = Array.from(new Set(others.map((e) => e.layer?.name).filter((n): n is string => !!n)));
  const percent = (x: number) => `${Number((x * 100).toPrecision(6))}%`;

  return (
    <section class="card" data-testid="audience">
      <h2>Who enters</h2>
      <h3>Targeting</h3>
      {rows ? (
        <div class="targeting-rows">
          {rows.map((r, i) => (
            <div class="row" data-testid="targeting-row">
              <input
                aria-label="Attribute"
                class="mono"
                placeholder="attribute, e.g. country"
                value={r.attribute}
                onInput={(e) => editRow(i, { attribute: e.currentTarget.value })}
                data-testid="row-attribute"
              />
              <select aria-label="Operator" value={r.operator} onChange={(e) => editRow(i, { operator: e.currentTarget.value })} data-testid="row-operator">
                {ROW_OPERATORS.map((o) => (
                  <option value={o.op}>{o.label}</option>
                ))}
              </select>
              <input
                aria-label="Value"
                placeholder={ROW_OPERATORS.find((o) => o.op === r.operator)?.list ? 'DE, AT' : 'value'}
                value={r.value}
                onInput={(e) => editRow(i, { value: e.currentTarget.value })}
                data-testid="row-value"
              />
              <button type="button" class="link" onClick={() => setRows(rows.filter((_, j) => j !== i))}>
                Remove
              </button>
            </div>
          ))}
          <button type="button" onClick={() => setRows([...rows, { attribute: '', operator: '$eq', value: '' }])} data-testid="add-row">
            Add a condition
          </button>
          <span class="muted small"> every row must hold</span>
        </div>
      ) : (
        <p class="muted small">This condition is more than rows can show; edit it as JSON below.</p>
      )}
      <label>
        Condition as JSON <span class="muted small">(GrowthBook syntax; empty: everybody)</span>
        <textarea
          class="mono"
          rows={5}
          data-field="targeting"
          value={draft.targeting}
          onInput={(e) => onChange({ targeting: e.currentTarget.value, targetingRows: rowsOf(e.currentTarget.value) })}
          data-testid="targeting-json"
        />
      </label>
      {verdict && (
        <p class={verdict.ok ? 'muted small' : 'field-error'} data-testid="targeting-verdict">
          {verdict.text}
        </p>
      )}
      {problems
        .filter((p) => p.field.startsWith('targeting'))
        .map((p) => (
          <p class="field-error" data-field-error={p.field}>
            {p.field}: {p.message}
          </p>
        ))}

      <h3>Exclusion layer</h3>
      <div class="grid3">
        <label>
          Layer <span class="muted small">(empty: none)</span>
          <input class="mono" list="layer-names" data-field="layer.name" value={draft.layerName} onInput={(e) => onChange({ layerName: e.currentTarget.value })} />
          <datalist id="layer-names">
            {layerNames.map((n) => (
              <option value={n} />
            ))}
          </datalist>
          <FieldError problems={problems} field="layer.name" />
          <FieldError problems={problems} field="layer" />
        </label>
        <label>
          From (%)
          <input inputMode="decimal" data-field="layer.start" value={draft.layerStart} onInput={(e) => onChange({ layerStart: e.currentTarget.value })} />
          <FieldError problems={problems} field="layer.start" percent />
        </label>
        <label>
          To (%)
          <input inputMode="decimal" data-field="layer.end" value={draft.layerEnd} onInput={(e) => onChange({ layerEnd: e.currentTarget.value })} />
          <FieldError problems={problems} field="layer.end" percent />
        </label>
      </div>
      {layer && (
        <div class="layer-map" data-testid="layer-map">
          {taken.length === 0 ? (
            <p class="muted small">No live experiment uses layer {layer}: any range is free.</p>
          ) : (
            <>
              <svg class="layer-bar" viewBox="0 0 100 4" preserveAspectRatio="none" role="img" aria-label={`ranges taken in layer ${layer}`}>
                <rect x={0} y={0} width={100} height={4} class="free" />
                {taken.map((e) => (
                  <rect x={(e.layer?.start ?? 0) * 100} y={0} width={((e.layer?.end ?? 0) - (e.layer?.start ?? 0)) * 100} height={4} class="taken">
                    <title>{`${e.key} ${percent(e.layer?.start ?? 0)}–${percent(e.layer?.end ?? 0)}`}</title>
                  </rect>
                ))}
              </svg>
              <ul class="small" data-testid="layer-taken">
                {taken.map((e) => (
                  <li>
                    <span class="mono">{e.key}</span> ({e.status}) takes {percent(e.layer?.start ?? 0)}–{percent(e.layer?.end ?? 0)}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}

      <h3>Holdouts</h3>
      {holdouts.length === 0 ? (
        <p class="muted small">
          No holdouts yet (<a href="#/audience">create one</a>).
        </p>
      ) : (
        <div class="holdout-picks">
          {holdouts.map((h) => (
            <label class="inline">
              <input
                type="checkbox"
                checked={draft.holdouts.includes(h.name)}
                onChange={(e) =>
                  onChange({
                    holdouts: e.currentTarget.checked ? [...draft.holdouts, h.name] : draft.holdouts.filter((n) => n !== h.name),
                  })
                }
                data-testid={`holdout-${h.name}`}
              />
              {h.name} <span class="muted small">({percent(h.share)} held out)</span>
            </label>
          ))}
        </div>
      )}
      {problems
        .filter((p) => p.field.startsWith('holdouts'))
        .map((p) => (
          <p class="field-error" data-field-error={p.field}>
            {p.field}: {p.message}
          </p>
        ))}

      <h3>Unleash gate</h3>
      <label>
        Toggle that must be on for the unit <span class="muted small">(empty: no gate)</span>
        <input
          class="mono"
          list="unleash-toggles"
          data-field="gate.unleash"
          value={draft.gate}
          onInput={(e) => onChange({ gate: e.currentTarget.value })}
          data-testid="gate"
        />
        <datalist id="unleash-toggles">
          {toggles.map((t) => (
            <option value={t.name} />
          ))}
        </datalist>
        <FieldError problems={problems} field="gate.unleash" />
      </label>
      {draft.gate.trim() && integrations && !integrations.unleash.configured && (
        <p class="field-error" data-testid="gate-unconfigured">
          Unleash is not configured (UNLEASH_URL): every gate is closed, so this experiment would take nobody.
        </p>
      )}
      {draft.gate.trim() && toggles.length > 0 && !toggles.some((t) => t.name === draft.gate.trim()) && (
        <p class="muted small" data-testid="gate-unknown">
          Unleash does not know this toggle (yet): until it does, the gate is closed.
        </p>
      )}
    </section>
  );
}
