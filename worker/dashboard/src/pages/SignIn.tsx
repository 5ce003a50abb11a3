import { useState } from 'preact/hooks';
import { ApiError, request } from '../api';
import { Notice } from '../components/Notice';
import { href } from '../router';
import { signIn } from '../session';
import type { Experiment } from '../types';

/** Asks for the admin token and checks it against the API before keeping it. */
export function SignIn({ onSignedIn, reason }: { onSignedIn: () => void; reason: string | null }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    const candidate = value.trim();
    if (!candidate) {
      setError('Enter the admin token (ADMIN_TOKEN of the Worker; `make dev` prints it).');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await request<Experiment[]>('GET', '/api/v1/experiments', undefined, candidate);
      signIn(candidate);
      onSignedIn();
    } catch (err) {
      const e = err as ApiError;
      setError(
        e.unauthorized
          ? 'That token was not accepted. Check ADMIN_TOKEN (make dev prints it; .dev.vars holds it).'
          : `Could not sign in: ${e.message}`,
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="sign-in">
      <form class="card" onSubmit={submit} data-testid="sign-in">
        <h1>Sign in to Cleave</h1>
        <p class="muted">The token stays in this browser tab only and is sent as a Bearer token.</p>
        {reason && <Notice kind="warning">{reason}</Notice>}
        <label for="token">Admin token</label>
        <input
          id="token"
          name="token"
          type="password"
          autocomplete="current-password"
          value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
          autofocus
        />
        {error && (
          <Notice kind="error" testid="sign-in-error">
            {error}
          </Notice>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <p class="muted small">
          Only planning? The <a href={href({ page: 'calculator' })}>sample-size calculator</a> needs no token.
        </p>
      </form>
    </div>
  );
}
