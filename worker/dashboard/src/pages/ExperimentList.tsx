import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, request } from '../api';
import { Notice } from '../components/Notice';
import { ProgressBar } from '../components/ProgressBar';
import { StatusBadge } from '../components/StatusBadge';
import { count, when } from '../format';
import { STATUSES } from '../lifecycle';
import { href } from '../router';
import type { Experiment, Progress, Status } from '../types';

/** All experiments with a status filter, a search box and sample-size progress. */
export function ExperimentList() {
  const [experiments, setExperiments] = useState<Experiment[] | null>(null);
  const [progress, setProgress] = useState<Map<string, Progress>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<Status | 'all'>('all');
  const [search, setSearch] = useState('');

  useEffect(() => {
    Promise.all([
      request<Experiment[]>('GET', '/api/v1/experiments'),
      request<Progress[]>('GET', '/api/v1/progress'),
    ])
      .then(([all, p]) => {
        setExperiments(all);
        setProgress(new Map(p.map((x) => [x.experiment_id, x])));
      })
      .catch((e: ApiError) => setError(e.message));
  }, []);

  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return (experiments ?? []).filter(
      (e) =>
        (status === 'all' || e.status === status) &&
        (!needle || [e.name, e.key, e.id, e.description ?? ''].some((s) => s.toLowerCase().includes(needle))),
    );
  }, [experiments, status, search]);

  return (
    <section>
      <div class="page-head">
        <h1>Experiments</h1>
        <a class="button primary" href={href({ page: 'new' })} data-testid="new-experiment">
          New experiment
        </a>
      </div>
      <div class="filters">
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value as Status | 'all')} data-testid="status-filter">
            <option value="all">all</option>
            {STATUSES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
        <label class="grow">
          Search
          <input
            type="search"
            placeholder="name, key, id or description"
            value={search}
            onInput={(e) => setSearch(e.currentTarget.value)}
            data-testid="search"
          />
        </label>
      </div>
      {error && <Notice kind="error">Could not load experiments: {error}</Notice>}
      {experiments === null && !error && <p class="muted">Loading…</p>}
      {experiments !== null && shown.length === 0 && (
        <p class="empty" data-testid="empty">
          {experiments.length === 0 ? 'No experiments yet — create the first one.' : 'No experiment matches.'}
        </p>
      )}
      {shown.length > 0 && (
        <table class="list responsive" data-testid="experiment-list">
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th>Variants</th>
              <th>Users</th>
              <th>Progress</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((e) => {
              const p = progress.get(e.id);
              return (
                <tr key={e.id} data-testid="experiment-row" data-key={e.key}>
                  <td data-label="Name">
                    <a href={href({ page: 'results', id: e.id })} class="strong">
                      {e.name}
                    </a>
                    <div class="muted small mono">{e.key}</div>
                  </td>
                  <td data-label="Status">
                    <StatusBadge status={e.status} />
                  </td>
                  <td data-label="Variants">{e.variants.map((v) => v.name).join(' · ')}</td>
                  <td data-label="Users">{count(p?.users ?? 0)}</td>
                  <td data-label="Progress">
                    <ProgressBar value={p?.progress ?? null} label={`progress of ${e.name}`} />
                  </td>
                  <td data-label="Updated" class="small">
                    {when(e.updated_at)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
