import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, request } from '../api';
import { HoldoutResults } from '../components/HoldoutResults';
import { Notice } from '../components/Notice';
import type { Holdout, SavedGroup } from '../types';

/** Holdouts and saved groups: list, create or replace by name, delete. */
export function Audience() {
  const [holdouts, setHoldouts] = useState<Holdout[]>([]);
  const [groups, setGroups] = useState<SavedGroup[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [h, setH] = useState({ name: '', share: '5', metrics: '' });
  const [g, setG] = useState({ name: '', values: '' });
  const [shown, setShown] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setHoldouts(await request<Holdout[]>('GET', '/api/v1/holdouts'));
      setGroups(await request<SavedGroup[]>('GET', '/api/v1/groups'));
    } catch (e) {
      setError((e as ApiError).message);
    }
  }, []);
  useEffect(() => {
    load();
  }, [load]);

  const failed = (e: unknown) => {
    const failure = e as ApiError;
    const p = failure.problems()[0];
    setError(p ? `${p.field}: ${p.message}` : failure.message);
  };

  async function saveHoldout(e: Event) {
    e.preventDefault();
    const share = Number(h.share) / 100;
    try {
      await request('PUT', `/api/v1/holdouts/${encodeURIComponent(h.name.trim())}`, {
        share,
        metrics: h.metrics
          .split(',')
          .map((m) => m.trim())
          .filter(Boolean),
      });
      setError(null);
      setH({ name: '', share: '5', metrics: '' });
      load();
    } catch (err) {
      failed(err);
    }
  }

  async function saveGroup(e: Event) {
    e.preventDefault();
    const values = g.values
      .split('\n')
      .map((v) => v.trim())
      .filter(Boolean);
    try {
      await request('PUT', `/api/v1/groups/${encodeURIComponent(g.name.trim())}`, { values });
      setError(null);
      setG({ name: '', values: '' });
      load();
    } catch (err) {
      failed(err);
    }
  }

  async function remove(kind: 'holdouts' | 'groups', name: string) {
    try {
      await request('DELETE', `/api/v1/${kind}/${encodeURIComponent(name)}`);
      setError(null);
      load();
    } catch (err) {
      failed(err);
    }
  }

  return (
    <section class="audience-page">
      <div class="page-head">
        <h1>Holdouts and groups</h1>
      </div>
      {error && (
        <Notice kind="error" testid="audience-error">
          {error}
        </Notice>
      )}
      <section class="card">
        <h2>Holdouts</h2>
        <p class="muted small">A holdout keeps a share of all units out of every experiment that lists it (its own hash, the same in every experiment).</p>
        <table data-testid="holdouts">
          <thead>
            <tr>
              <th>Name</th>
              <th>Held out</th>
              <th>Metrics</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {holdouts.map((x) => (
              <tr data-testid={`holdout-row-${x.name}`}>
                <td class="mono">{x.name}</td>
                <td>{Number((x.share * 100).toPrecision(6))}%</td>
                <td>{(x.metrics ?? []).join(', ')}</td>
                <td>
                  <button type="button" class="link" onClick={() => setShown(shown === x.name ? null : x.name)} data-testid={`holdout-show-${x.name}`}>
                    {shown === x.name ? 'Hide results' : 'Results'}
                  </button>{' '}
                  <button type="button" class="link" onClick={() => remove('holdouts', x.name)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {holdouts
          .filter((x) => x.name === shown)
          .map((x) => (
            <HoldoutResults holdout={x} />
          ))}
        <form class="grid3" onSubmit={saveHoldout} data-testid="holdout-form">
          <label>
            Name
            <input class="mono" value={h.name} onInput={(e) => setH({ ...h, name: e.currentTarget.value })} data-testid="holdout-name" />
          </label>
          <label>
            Held out (%)
            <input inputMode="decimal" value={h.share} onInput={(e) => setH({ ...h, share: e.currentTarget.value })} data-testid="holdout-share" />
          </label>
          <label>
            Metrics (comma-separated)
            <input value={h.metrics} onInput={(e) => setH({ ...h, metrics: e.currentTarget.value })} />
          </label>
          <button type="submit" class="primary" disabled={!h.name.trim()} data-testid="holdout-save">
            Save holdout
          </button>
        </form>
      </section>
      <section class="card">
        <h2>Saved groups</h2>
        <p class="muted small">
          Named lists for <code>$inGroup</code> / <code>$notInGroup</code> (e.g. beta testers' ids).
        </p>
        <table data-testid="groups">
          <thead>
            <tr>
              <th>Name</th>
              <th>Values</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {groups.map((x) => (
              <tr data-testid={`group-row-${x.name}`}>
                <td class="mono">{x.name}</td>
                <td>
                  {x.values.length} · <span class="muted small">{x.values.slice(0, 5).join(', ')}</span>
                </td>
                <td>
                  <button type="button" class="link" onClick={() => remove('groups', x.name)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <form onSubmit={saveGroup} data-testid="group-form">
          <div class="grid2">
            <label>
              Name
              <input class="mono" value={g.name} onInput={(e) => setG({ ...g, name: e.currentTarget.value })} data-testid="group-name" />
            </label>
            <label>
              Values (one per line)
              <textarea rows={3} value={g.values} onInput={(e) => setG({ ...g, values: e.currentTarget.value })} data-testid="group-values" />
            </label>
          </div>
          <button type="submit" class="primary" disabled={!g.name.trim()} data-testid="group-save">
            Save group
          </button>
        </form>
      </section>
    </section>
  );
}
