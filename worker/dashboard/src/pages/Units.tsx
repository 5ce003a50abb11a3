import { useState } from 'preact/hooks';
import { ApiError, request } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Notice } from '../components/Notice';
import { count } from '../format';
import type { UnitDeleted } from '../types';

/** Data-subject requests: remove one unit from every experiment and holdout result. */
export function Units() {
  const [unit, setUnit] = useState('');
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<UnitDeleted | null>(null);
  const [error, setError] = useState<string | null>(null);
  const id = unit.trim();

  async function remove() {
    setAsking(false);
    setBusy(true);
    try {
      setDone(await request<UnitDeleted>('DELETE', `/api/v1/units/${encodeURIComponent(id)}`));
      setError(null);
      setUnit('');
    } catch (e) {
      const failure = e as ApiError;
      const p = failure.problems()[0];
      setError(p ? `${p.field}: ${p.message}` : failure.message);
      setDone(null);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="units-page">
      <div class="page-head">
        <h1>Unit data</h1>
      </div>
      <section class="card">
        <h2>Delete a unit</h2>
        <p class="muted small">
          Removes the unit's exposures, events and holdout memberships from every experiment and holdout, and the
          results follow at once (a data-subject deletion request). It cannot be undone; a later visit by the same
          unit counts as new. To hand a person their data first, use <strong>Export units</strong> on each
          experiment's results page (one JSON line per unit).
        </p>
        <form
          class="grid2"
          onSubmit={(e) => {
            e.preventDefault();
            if (id) setAsking(true);
          }}
          data-testid="unit-delete-form"
        >
          <label>
            Unit id
            <input
              class="mono"
              value={unit}
              placeholder="the user_id your site sends, or the cleave_uid cookie"
              onInput={(e) => setUnit(e.currentTarget.value)}
              data-testid="unit-id"
            />
          </label>
          <div class="align-end">
            <button type="submit" class="danger" disabled={!id || busy} data-testid="unit-delete">
              {busy ? 'Deleting…' : 'Delete…'}
            </button>
          </div>
        </form>
        {error && (
          <Notice kind="error" testid="unit-error">
            {error}
          </Notice>
        )}
        {done && (
          <Notice kind="success" testid="unit-deleted">
            Removed <span class="mono">{done.user_id}</span>: {count(done.experiments)}{' '}
            {done.experiments === 1 ? 'experiment' : 'experiments'}, {count(done.events)}{' '}
            {done.events === 1 ? 'event' : 'events'}, {count(done.holdout_rows)} holdout{' '}
            {done.holdout_rows === 1 ? 'row' : 'rows'}.
            {done.experiments === 0 && done.holdout_rows === 0 && ' The unit was not in any experiment.'}
          </Notice>
        )}
      </section>
      <ConfirmDialog
        open={asking}
        title="Delete this unit's data?"
        message={`Every exposure, event and holdout membership of “${id}” will be removed from every experiment. This cannot be undone.`}
        confirmLabel="Delete the unit"
        onConfirm={remove}
        onCancel={() => setAsking(false)}
      />
    </section>
  );
}
