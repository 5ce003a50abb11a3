import { useState } from 'preact/hooks';
import { ApiError, request } from '../api';
import { ACTIONS, allowed, deletable, editable, type Action } from '../lifecycle';
import { go, href } from '../router';
import type { Experiment } from '../types';
import { ConfirmDialog } from './ConfirmDialog';
import { Notice } from './Notice';

const LABEL: Record<Action, string> = {
  start: 'Start',
  pause: 'Pause',
  resume: 'Resume',
  stop: 'Stop',
  archive: 'Archive',
};

/** Edit, lifecycle and delete buttons, each disabled where the API would refuse it. */
export function Lifecycle({ experiment, onChanged }: { experiment: Experiment; onChanged: (e: Experiment) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const path = `/api/v1/experiments/${encodeURIComponent(experiment.id)}`;

  async function run(action: Action) {
    setBusy(true);
    setError(null);
    try {
      onChanged(await request<Experiment>('POST', `${path}/${action}`));
    } catch (e) {
      setError((e as ApiError).message);
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setConfirming(false);
    setBusy(true);
    try {
      await request('DELETE', path);
      go({ page: 'list' });
    } catch (e) {
      setError((e as ApiError).message);
      setBusy(false);
    }
  }

  const canEdit = editable(experiment.status);
  return (
    <div class="lifecycle">
      <div class="button-row" role="group" aria-label="Lifecycle">
        {ACTIONS.map((a) => (
          <button
            type="button"
            class={a === 'start' || a === 'resume' ? 'primary' : undefined}
            disabled={busy || !allowed(experiment.status, a)}
            onClick={() => run(a)}
            data-action={a}
          >
            {LABEL[a]}
          </button>
        ))}
        <a
          class={canEdit ? 'button' : 'button disabled'}
          href={canEdit ? href({ page: 'edit', id: experiment.id }) : undefined}
          aria-disabled={canEdit ? undefined : 'true'}
          data-action="edit"
        >
          Edit
        </a>
        <button
          type="button"
          class="danger"
          disabled={busy || !deletable(experiment.status)}
          title={deletable(experiment.status) ? undefined : 'Stop the experiment before deleting it'}
          onClick={() => setConfirming(true)}
          data-action="delete"
        >
          Delete
        </button>
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      <ConfirmDialog
        open={confirming}
        title={`Delete ${experiment.name}?`}
        message="The experiment, its assignments and its events are removed for good."
        confirmLabel="Delete for good"
        onConfirm={remove}
        onCancel={() => setConfirming(false)}
      />
    </div>
  );
}
