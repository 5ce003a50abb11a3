import { useEffect, useState } from 'preact/hooks';
import { ApiError, request } from '../api';
import type { Holdout, HoldoutResults as Results } from '../types';
import { Notice } from './Notice';
import { ResultsTables } from './ResultsTables';

/** One holdout's long-term results: held-out units against those exposed to the
 * experiments listing it, on one of its metrics. */
export function HoldoutResults({ holdout }: { holdout: Holdout }) {
  const metrics = holdout.metrics ?? [];
  const [metric, setMetric] = useState(metrics[0] ?? '');
  const [results, setResults] = useState<Results | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!metric) return;
    let live = true;
    request<Results>('GET', `/api/v1/holdouts/${encodeURIComponent(holdout.name)}/results?metric=${encodeURIComponent(metric)}`)
      .then((r) => {
        if (live) {
          setResults(r);
          setError(null);
        }
      })
      .catch((e) => live && setError((e as ApiError).message));
    return () => {
      live = false;
    };
  }, [holdout.name, metric]);

  if (!metrics.length) {
    return <p class="muted small">This holdout measures no metrics: add some to see its results.</p>;
  }
  return (
    <div data-testid={`holdout-results-${holdout.name}`}>
      <h3>
        Results of <span class="mono">{holdout.name}</span>
      </h3>
      {metrics.length > 1 && (
        <label>
          Metric{' '}
          <select value={metric} onChange={(e) => setMetric(e.currentTarget.value)}>
            {metrics.map((m) => (
              <option value={m}>{m}</option>
            ))}
          </select>
        </label>
      )}
      {error && <Notice kind="error">{error}</Notice>}
      {results && (
        <>
          <p class="muted small" data-testid="holdout-recommendation">
            {results.recommendation}
          </p>
          <ResultsTables report={results} />
        </>
      )}
    </div>
  );
}
