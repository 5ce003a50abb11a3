import { useEffect, useState } from 'preact/hooks';
import { ApiError, request } from '../api';
import { count } from '../format';
import type { SampleSize } from '../types';

/** How long the inputs must be still before the estimate is requested. */
const DEBOUNCE_MS = 250;

/**
 * The server's sample-size estimate for a planning query, refreshed as it changes.
 * `query` is null while the planning fields are incomplete.
 */
export function SampleSizeEstimate({ query }: { query: Record<string, unknown> | null }) {
  const [result, setResult] = useState<SampleSize | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = JSON.stringify(query);

  useEffect(() => {
    if (!query) {
      setResult(null);
      setError(null);
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      request<SampleSize>('POST', '/api/v1/sample-size', query, null)
        .then((r) => current && (setResult(r), setError(null)))
        .catch((e: ApiError) => current && (setResult(null), setError(e.message)));
    }, DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [key]);

  if (!query) {
    return <p class="estimate muted">Enter a base rate and a minimum detectable effect for a sample-size estimate.</p>;
  }
  if (error) return <p class="estimate field-error">{error}</p>;
  if (!result) return <p class="estimate muted">Estimating…</p>;
  return (
    <p class="estimate" data-testid="sample-size-estimate" aria-live="polite">
      <strong data-testid="per-variant">{count(result.sample_size_per_variant)}</strong> users per variant ·{' '}
      <strong>{count(result.total_sample_size)}</strong> in total (from {(result.base_rate * 100).toPrecision(3)}% to{' '}
      {(result.treatment_rate * 100).toPrecision(3)}%)
    </p>
  );
}
