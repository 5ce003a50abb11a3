import { useState } from 'preact/hooks';
import { ApiError, request } from '../api';
import type { Evaluation, Experiment } from '../types';

/** What each check of the dry run means, for people. */
const CHECKS: Record<string, string> = {
  running: 'experiment is running',
  forced: 'no forced variant applies',
  holdout: 'not held out by',
  targeting: 'attributes match the targeting',
  layer: 'inside the layer range of',
  traffic: 'inside the traffic allocation',
};

/** "Test a user": the dry run (`POST …/evaluate`) for a unit id and attributes. */
export function TestUser({ experiment }: { experiment: Experiment }) {
  const [user, setUser] = useState('');
  const [attributes, setAttributes] = useState('{}');
  const [result, setResult] = useState<Evaluation | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function run(e: Event) {
    e.preventDefault();
    setResult(null);
    let parsed: unknown;
    try {
      parsed = attributes.trim() ? JSON.parse(attributes) : {};
    } catch (err) {
      setError(`Attributes are not valid JSON: ${(err as Error).message}`);
      return;
    }
    try {
      const r = await request<Evaluation>('POST', `/api/v1/experiments/${encodeURIComponent(experiment.id)}/evaluate`, {
        user_id: user,
        attributes: parsed,
        assume_running: true,
      });
      setResult(r);
      setError(null);
    } catch (err) {
      const failure = err as ApiError;
      const p = failure.problems()[0];
      setError(p ? `${p.field}: ${p.message}` : failure.message);
    }
  }

  return (
    <form class="card test-user" onSubmit={run} data-testid="test-user">
      <h2>Test a user</h2>
      <p class="muted small">The decision for one unit, every check on the way; nothing is recorded. A draft is decided as if running.</p>
      <div class="grid2">
        <label>
          User id
          <input class="mono" value={user} onInput={(e) => setUser(e.currentTarget.value)} data-testid="test-user-id" />
        </label>
        <label>
          Attributes (JSON)
          <textarea class="mono" rows={2} value={attributes} onInput={(e) => setAttributes(e.currentTarget.value)} data-testid="test-user-attributes" />
        </label>
      </div>
      <button type="submit" disabled={!user.trim()} data-testid="test-user-run">
        Evaluate
      </button>
      {error && (
        <p class="field-error" data-testid="test-user-error">
          {error}
        </p>
      )}
      {result && (
        <div data-testid="test-user-result">
          <p>
            <strong data-testid="test-user-reason">{result.reason}</strong>
            {result.variant ? (
              <>
                {' '}
                → variant <span class="mono">{result.variant}</span>
              </>
            ) : (
              ' → no variant'
            )}
            {result.assumed_running && <span class="muted small"> (decided as if running)</span>}
          </p>
          <ol class="steps small">
            {result.steps.map((s) => (
              <li class={s.passed ? 'passed' : 'failed'}>
                {s.passed ? '✓' : '✗'} {CHECKS[s.check] ?? s.check}
                {s.subject ? ` ${s.subject}` : ''}
              </li>
            ))}
          </ol>
        </div>
      )}
    </form>
  );
}
