import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, request, requestText } from '../api';
import { CiChart } from '../components/CiChart';
import { Lifecycle } from '../components/Lifecycle';
import { Notice } from '../components/Notice';
import { ProgressBar } from '../components/ProgressBar';
import { ResultsTables } from '../components/ResultsTables';
import { SegmentsTable } from '../components/SegmentsTable';
import { StatusBadge } from '../components/StatusBadge';
import { TestUser } from '../components/TestUser';
import { download, reportCsv } from '../exporting';
import { count, pEquals, when } from '../format';
import type { Experiment, StatsReport } from '../types';

/** How often the results refresh while the page is visible. */
const REFRESH_MS = 5000;

/** One experiment: its settings, lifecycle buttons and live results. */
export function Results({ id }: { id: string }) {
  const [experiment, setExperiment] = useState<Experiment | null>(null);
  const [report, setReport] = useState<StatsReport | null>(null);
  const [metric, setMetric] = useState<string | null>(null);
  const [dimension, setDimension] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [auto, setAuto] = useState(true);
  const [updated, setUpdated] = useState<Date | null>(null);
  const [exported, setExported] = useState<string | null>(null);
  const path = `/api/v1/experiments/${encodeURIComponent(id)}`;

  const refresh = useCallback(async () => {
    try {
      const e = await request<Experiment>('GET', path);
      const chosen = metric ?? e.metrics?.[0] ?? 'conversion';
      const by = dimension.trim() ? `&dimension=${encodeURIComponent(dimension.trim())}` : '';
      const r = await request<StatsReport>('GET', `${path}/stats?metric=${encodeURIComponent(chosen)}${by}`);
      setExperiment(e);
      setReport(r);
      setError(null);
      setUpdated(new Date());
    } catch (e) {
      setError((e as ApiError).message);
    }
  }, [path, metric, dimension]);

  useEffect(() => {
    refresh();
    if (!auto) return;
    const timer = setInterval(() => document.visibilityState === 'visible' && refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [refresh, auto]);

  if (!experiment) {
    return error ? <Notice kind="error">Could not load the experiment: {error}</Notice> : <p class="muted">Loading…</p>;
  }
  const exportUnits = async () => {
    setExported('Exporting…');
    try {
      const text = await requestText('GET', `${path}/export`, undefined, undefined, { accept: 'application/x-ndjson' });
      const units = text.split('\n').filter(Boolean).length;
      download(`cleave-${experiment.key}-units.ndjson`, 'application/x-ndjson', text);
      setExported(`${count(units)} ${units === 1 ? 'unit' : 'units'} exported.`);
    } catch (e) {
      setExported(`The export failed: ${(e as ApiError).message}`);
    }
  };
  const metrics = Array.from(new Set([...(experiment.metrics ?? []), report?.metric ?? 'conversion']));
  const name = `cleave-${experiment.key}-${report?.metric ?? 'report'}`;
  return (
    <section class="results">
      <div class="page-head">
        <div>
          <h1 data-testid="experiment-name">{experiment.name}</h1>
          <p class="muted small">
            <StatusBadge status={experiment.status} /> <span class="mono">{experiment.key}</span> · id{' '}
            <span class="mono">{experiment.id}</span> · started {when(experiment.started_at)}
          </p>
        </div>
      </div>
      <Lifecycle experiment={experiment} onChanged={(e) => (setExperiment(e), refresh())} />
      {(experiment.description || experiment.hypothesis) && (
        <dl class="about">
          {experiment.description && (
            <>
              <dt>Description</dt>
              <dd>{experiment.description}</dd>
            </>
          )}
          {experiment.hypothesis && (
            <>
              <dt>Hypothesis</dt>
              <dd>{experiment.hypothesis}</dd>
            </>
          )}
        </dl>
      )}
      <div class="toolbar">
        <label>
          Metric
          <select value={report?.metric} onChange={(e) => setMetric(e.currentTarget.value)} data-testid="metric">
            {metrics.map((m) => (
              <option value={m}>{m}</option>
            ))}
          </select>
        </label>
        <label>
          Segment by
          <input
            class="mono"
            list="segment-attributes"
            placeholder="attribute, e.g. country"
            value={dimension}
            onChange={(e) => setDimension(e.currentTarget.value)}
            data-testid="dimension"
          />
          <datalist id="segment-attributes">
            {['country', 'device', 'plan', 'region', 'path'].map((a) => (
              <option value={a} />
            ))}
          </datalist>
        </label>
        <label class="inline">
          <input type="checkbox" checked={auto} onChange={(e) => setAuto(e.currentTarget.checked)} />
          Refresh every {REFRESH_MS / 1000} s
        </label>
        <span class="muted small" data-testid="updated">
          {updated ? `updated ${updated.toLocaleTimeString()}` : ''}
        </span>
        <span class="grow" />
        <button type="button" disabled={!report} onClick={() => report && download(`${name}.json`, 'application/json', JSON.stringify(report, null, 2))} data-testid="export-json">
          Export JSON
        </button>
        <button type="button" disabled={!report} onClick={() => report && download(`${name}.csv`, 'text/csv', reportCsv(report))} data-testid="export-csv">
          Export CSV
        </button>
        <button type="button" onClick={exportUnits} title="One JSON line per exposed unit: variant, first exposure, context, per-metric totals" data-testid="export-units">
          Export units
        </button>
      </div>
      {exported && (
        <p class="muted small" role="status" data-testid="export-units-status">
          {exported}
        </p>
      )}
      {error && <Notice kind="error">Refreshing failed: {error}</Notice>}
      {report && <Report report={report} />}
      {report?.segments && <SegmentsTable segments={report.segments} />}
      <Audience experiment={experiment} />
      <TestUser experiment={experiment} />
    </section>
  );
}

/** Who may enter, as configured. */
function Audience({ experiment }: { experiment: Experiment }) {
  const { targeting, layer, holdouts } = experiment;
  if (targeting == null && layer == null && !(holdouts ?? []).length) return null;
  return (
    <dl class="about" data-testid="audience-summary">
      {targeting != null && (
        <>
          <dt>Targeting</dt>
          <dd>
            <code>{JSON.stringify(targeting)}</code>
          </dd>
        </>
      )}
      {layer && (
        <>
          <dt>Layer</dt>
          <dd>
            <span class="mono">{layer.name}</span> {Number((layer.start * 100).toPrecision(6))}%–{Number((layer.end * 100).toPrecision(6))}%
          </dd>
        </>
      )}
      {(holdouts ?? []).length > 0 && (
        <>
          <dt>Holdouts</dt>
          <dd>{(holdouts ?? []).join(', ')}</dd>
        </>
      )}
    </dl>
  );
}

function Report({ report }: { report: StatsReport }) {
  const smallest = Math.min(...report.variants.map((v) => v.sample_size));
  return (
    <>
      {report.srm?.mismatch && (
        <Notice kind="error" testid="srm-banner">
          <strong>Sample ratio mismatch</strong> (χ² = {report.srm.chi2.toFixed(2)}, {pEquals(report.srm.p_value)}): users
          are not split as configured. Look for broken assignment or logging before trusting these results.
        </Notice>
      )}
      <Notice kind={report.statistical_significance ? 'success' : 'info'} testid="recommendation">
        {report.recommendation}
      </Notice>
      <div class="progress-panel card" data-testid="progress">
        <div>
          <strong>Progress</strong>{' '}
          {report.required_sample_size != null ? (
            <span class="muted">
              {count(smallest)} of {count(report.required_sample_size)} users per variant (smallest variant)
            </span>
          ) : (
            <span class="muted">set a base rate and an MDE (or a target) to track progress</span>
          )}
        </div>
        <ProgressBar value={report.progress} />
      </div>
      <CiChart report={report} />
      <ResultsTables report={report} />
      <p class="muted small">
        α = {report.alpha}, correction: {report.correction}. p-values are two-sided; “P(beats control)” is the Bayesian
        posterior probability with uniform priors.
      </p>
    </>
  );
}
