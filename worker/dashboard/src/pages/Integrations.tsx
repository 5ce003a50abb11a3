import { useEffect, useState } from 'preact/hooks';
import { ApiError, request } from '../api';
import { Notice } from '../components/Notice';
import { count, when } from '../format';
import type { Integrations as Overview, UnleashStatus } from '../types';

/** How Unleash (gates, the frontend API) and Plausible are doing, with a fetch of Unleash's
 * features on demand. */
export function Integrations() {
  const [overview, setOverview] = useState<Overview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fetching, setFetching] = useState(false);
  const [fetched, setFetched] = useState<UnleashStatus | null>(null);

  const load = () =>
    request<Overview>('GET', '/api/v1/integrations')
      .then((o) => {
        setOverview(o);
        setError(null);
      })
      .catch((e: ApiError) => setError(e.message));
  useEffect(() => {
    load();
  }, []);

  async function fetchNow() {
    setFetching(true);
    try {
      setFetched(await request<UnleashStatus>('POST', '/api/v1/unleash/refresh'));
      await load();
    } catch (e) {
      setError((e as ApiError).message);
    } finally {
      setFetching(false);
    }
  }

  if (!overview) return error ? <Notice kind="error">{error}</Notice> : <p class="muted">Loading…</p>;
  const { unleash, plausible } = overview;
  const status = unleash.status;
  return (
    <section class="integrations-page">
      <div class="page-head">
        <h1>Integrations</h1>
      </div>
      {error && <Notice kind="error">{error}</Notice>}

      <section class="card" data-testid="unleash">
        <h2>Unleash</h2>
        {!unleash.configured ? (
          <p data-testid="unleash-state">
            Not configured. Set <code>UNLEASH_URL</code> and <code>UNLEASH_API_TOKEN</code> (a client token) to gate
            experiments on Unleash toggles; until then every gate is closed.
          </p>
        ) : (
          <>
            <p data-testid="unleash-state">
              {status?.ok ? 'Fetching works' : 'The last fetch failed'}
              {status && (
                <>
                  {' '}
                  (<span class="mono">{status.last_outcome}</span>, {when(status.last_attempt_at)})
                </>
              )}
              . {count(status?.toggles ?? 0)} toggles in use
              {status?.last_success_at ? `, fetched ${when(status.last_success_at)}` : ''}.
            </p>
            {status?.last_error && (
              <Notice kind="error">
                {status.last_error}
                {status.features_version ? ' — the last good copy stays in use.' : ''}
              </Notice>
            )}
            {fetched && (
              <p class="muted small" data-testid="unleash-fetched">
                Fetched now: {fetched.last_outcome}.
              </p>
            )}
            <button type="button" onClick={fetchNow} disabled={fetching} data-testid="unleash-fetch">
              {fetching ? 'Fetching…' : 'Fetch now'}
            </button>
            {(status?.warnings?.length ?? 0) > 0 && (
              <ul class="small">
                {status?.warnings.map((w) => (
                  <li>{w}</li>
                ))}
              </ul>
            )}
            {unleash.toggles.length > 0 && (
              <table class="compact" data-testid="unleash-toggles">
                <thead>
                  <tr>
                    <th>Toggle (an experiment's gate)</th>
                    <th>On in Unleash</th>
                    <th>Project</th>
                  </tr>
                </thead>
                <tbody>
                  {unleash.toggles.map((t) => (
                    <tr>
                      <td class="mono">{t.name}</td>
                      <td>{t.enabled ? 'yes' : 'no'}</td>
                      <td>{t.project}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
        <p class="muted small">
          Unleash's SDKs can read Cleave's running experiments as toggles at <code>/api/frontend</code>.
        </p>
      </section>

      <section class="card" data-testid="plausible">
        <h2>Plausible</h2>
        {plausible.configured ? (
          <p data-testid="plausible-state">
            Exposures and conversions go to Plausible as <span class="mono">{plausible.domain}</span>.
          </p>
        ) : (
          <p data-testid="plausible-state">
            Not configured. Set <code>PLAUSIBLE_URL</code> and <code>PLAUSIBLE_DOMAIN</code> to send exposures and
            conversions as custom events.
          </p>
        )}
        <table class="compact" data-testid="plausible-counts">
          <tbody>
            <tr>
              <th>Sent</th>
              <td>{count(plausible.sent)}</td>
            </tr>
            <tr>
              <th>Failed</th>
              <td>{count(plausible.failed)}</td>
            </tr>
            <tr>
              <th>Dropped (no client User-Agent or IP)</th>
              <td>{count(plausible.dropped)}</td>
            </tr>
          </tbody>
        </table>
      </section>
    </section>
  );
}
