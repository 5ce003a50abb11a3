import { useEffect, useState } from 'preact/hooks';
import { ApiError, request } from '../api';
import { AudienceEditor } from '../components/AudienceEditor';
import { FieldError, ProblemList } from '../components/FieldError';
import { Notice } from '../components/Notice';
import { SampleSizeEstimate } from '../components/SampleSizeEstimate';
import { VariantEditor } from '../components/VariantEditor';
import { draftOf, emptyDraft, sampleSizeQuery, toBody, type Draft } from '../draft';
import { go, href } from '../router';
import type { Experiment, FieldProblem } from '../types';

/** Fields the form shows; a server problem for any other field goes in the summary. */
function shownOnForm(field: string): boolean {
  return /^(name|key|description|hypothesis|metrics(\[\d+\])?|traffic_allocation|significance_level|base_rate|min_detectable_effect|mde_type|power|target_sample_size|salt|plausible|targeting.*|gate(\.unleash)?|layer(\.(name|start|end))?|holdouts(\[\d+\])?|variants(\[\d+\](\.(name|weight|allocation|config|description|is_control))?)?)$/.test(
    field,
  );
}

/** Creates an experiment, or edits one when `id` is given. */
export function ExperimentForm({ id }: { id?: string }) {
  const editing = id !== undefined;
  const [original, setOriginal] = useState<Experiment | null>(null);
  const [draft, setDraft] = useState<Draft | null>(editing ? null : emptyDraft());
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    if (!id) return;
    request<Experiment>('GET', `/api/v1/experiments/${encodeURIComponent(id)}`)
      .then((e) => {
        setOriginal(e);
        setDraft(draftOf(e));
      })
      .catch((e: ApiError) => setError(e.message));
  }, [id]);

  if (!draft) {
    return error ? <Notice kind="error">Could not load the experiment: {error}</Notice> : <p class="muted">Loading…</p>;
  }
  const live = original?.status === 'running' || original?.status === 'paused';
  const change = (patch: Partial<Draft>) => setDraft({ ...draft, ...patch });
  const text = (field: keyof Draft) => ({
    value: draft[field] as string,
    onInput: (e: Event) => change({ [field]: (e.currentTarget as HTMLInputElement).value } as Partial<Draft>),
  });

  async function submit(e: Event) {
    e.preventDefault();
    if (!draft) return;
    const { body, problems: local } = toBody(draft, editing);
    setError(null);
    if (local.length > 0) {
      setProblems(local);
      setError('Fix the highlighted fields.');
      return;
    }
    setSaving(true);
    try {
      const saved = editing
        ? // If-Match: the edit applies only to the revision the form was loaded from (412 otherwise).
          await request<Experiment>('PUT', `/api/v1/experiments/${encodeURIComponent(id as string)}`, body, undefined, {
            'if-match': `"v${original?.version ?? 0}"`,
          })
        : await request<Experiment>('POST', '/api/v1/experiments', body);
      go({ page: 'results', id: saved.id });
    } catch (err) {
      const failure = err as ApiError;
      setProblems(failure.problems());
      setError(failure.message);
    } finally {
      setSaving(false);
    }
  }

  const unplaced = problems.filter((p) => !shownOnForm(p.field));
  return (
    <form class="experiment-form" onSubmit={submit} noValidate data-testid="experiment-form">
      <div class="page-head">
        <h1>{editing ? `Edit ${original?.name ?? ''}` : 'New experiment'}</h1>
      </div>
      {error && (
        <Notice kind="error" testid="form-error">
          <strong>Not saved.</strong> {problems.length > 0 ? `${problems.length} field(s) need attention.` : error}
          <ProblemList problems={unplaced} />
        </Notice>
      )}
      <section class="card">
        <h2>About</h2>
        <div class="grid2">
          <label>
            Name
            <input data-field="name" {...text('name')} placeholder="e.g. Checkout button colour" />
            <FieldError problems={problems} field="name" />
          </label>
          <label>
            Key <span class="muted small">(header x-cleave-&lt;key&gt;; derived from the name if empty)</span>
            <input data-field="key" class="mono" {...text('key')} placeholder="e.g. checkout-button" />
            <FieldError problems={problems} field="key" />
          </label>
        </div>
        <label>
          Description
          <textarea data-field="description" rows={2} {...text('description')} />
          <FieldError problems={problems} field="description" />
        </label>
        <label>
          Hypothesis
          <textarea data-field="hypothesis" rows={2} {...text('hypothesis')} placeholder="e.g. Green increases checkout conversion by 10%" />
          <FieldError problems={problems} field="hypothesis" />
        </label>
      </section>

      <section class="card">
        <h2>Traffic</h2>
        {live && (
          <Notice kind="info">
            This experiment is {original?.status}: variants, weights and the salt are locked and traffic can only go up.{' '}
            <label class="inline">
              <input
                type="checkbox"
                checked={draft.newPhase}
                onChange={(e) => change({ newPhase: e.currentTarget.checked })}
                data-testid="new-phase"
              />
              Start a new phase (re-draws every user)
            </label>
          </Notice>
        )}
        <VariantEditor draft={draft} problems={problems} locked={live && !draft.newPhase} onChange={change} />
        <div class="grid2">
          <label>
            Traffic in the experiment (%)
            <input data-field="traffic_allocation" inputMode="decimal" {...text('traffic')} />
            <FieldError problems={problems} field="traffic_allocation" percent />
          </label>
          <label>
            Metrics <span class="muted small">(event names, comma-separated; the first is primary)</span>
            <input data-field="metrics" {...text('metrics')} placeholder="e.g. checkout, signup" />
            <FieldError problems={problems} field="metrics" />
            {problems
              .filter((p) => /^metrics\[\d+\]$/.test(p.field))
              .map((p) => (
                <p class="field-error" data-field-error={p.field}>
                  {p.field}: {p.message}
                </p>
              ))}
          </label>
        </div>
        <label class="inline">
          <input
            type="checkbox"
            data-field="plausible"
            checked={draft.plausible}
            onChange={(e) => change({ plausible: e.currentTarget.checked })}
            data-testid="plausible"
          />
          Send exposures and conversions to Plausible <span class="muted small">(when PLAUSIBLE_URL is set)</span>
        </label>
      </section>

      <AudienceEditor draft={draft} problems={problems} experimentId={id} onChange={change} />

      <section class="card">
        <h2>Planning</h2>
        <div class="grid3">
          <label>
            Base conversion rate (%)
            <input data-field="base_rate" inputMode="decimal" {...text('baseRate')} placeholder="e.g. 10" />
            <FieldError problems={problems} field="base_rate" percent />
          </label>
          <label>
            Minimum detectable effect ({draft.mdeType === 'relative' ? '% of the base rate' : 'percentage points'})
            <input data-field="min_detectable_effect" inputMode="decimal" {...text('mde')} placeholder="e.g. 10" />
            <FieldError problems={problems} field="min_detectable_effect" percent />
          </label>
          <label>
            Effect is
            <select data-field="mde_type" value={draft.mdeType} onChange={(e) => change({ mdeType: e.currentTarget.value as Draft['mdeType'] })}>
              <option value="relative">relative</option>
              <option value="absolute">absolute</option>
            </select>
          </label>
          <label>
            Significance level α
            <input data-field="significance_level" inputMode="decimal" {...text('alpha')} />
            <FieldError problems={problems} field="significance_level" />
          </label>
          <label>
            Power
            <input data-field="power" inputMode="decimal" {...text('power')} />
            <FieldError problems={problems} field="power" />
          </label>
          <label>
            Target users in total <span class="muted small">(used when there is no plan)</span>
            <input data-field="target_sample_size" inputMode="numeric" {...text('target')} />
            <FieldError problems={problems} field="target_sample_size" />
          </label>
        </div>
        <SampleSizeEstimate query={sampleSizeQuery(draft)} />
        <details>
          <summary>Advanced</summary>
          <label>
            Salt <span class="muted small">(defaults to the id; a new salt re-draws everyone)</span>
            <input data-field="salt" class="mono" {...text('salt')} disabled={live && !draft.newPhase} />
            <FieldError problems={problems} field="salt" />
          </label>
        </details>
      </section>

      <div class="actions">
        <button type="submit" class="primary" disabled={saving} data-testid="save">
          {saving ? 'Saving…' : editing ? 'Save changes' : 'Create experiment'}
        </button>
        <a class="button" href={editing && id ? href({ page: 'results', id }) : href({ page: 'list' })}>
          Cancel
        </a>
      </div>
    </form>
  );
}
