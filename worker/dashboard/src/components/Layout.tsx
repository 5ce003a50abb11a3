import type { ComponentChildren } from 'preact';
import { href, type Route } from '../router';

/** The page frame: brand, navigation and sign-out. */
export function Layout({
  route,
  signedIn,
  onSignOut,
  children,
}: {
  route: Route;
  signedIn: boolean;
  onSignOut: () => void;
  children: ComponentChildren;
}) {
  const current = (page: Route['page'][]) => (page.includes(route.page) ? 'page' : undefined);
  return (
    <>
      <header class="topbar">
        <a class="brand" href={href({ page: 'list' })}>
          <img src="favicon.svg" alt="" width={22} height={22} />
          Cleave
        </a>
        <nav>
          {signedIn && (
            <a href={href({ page: 'list' })} aria-current={current(['list', 'results', 'edit'])}>
              Experiments
            </a>
          )}
          {signedIn && (
            <a href={href({ page: 'new' })} aria-current={current(['new'])}>
              New
            </a>
          )}
          {signedIn && (
            <a href={href({ page: 'audience' })} aria-current={current(['audience'])}>
              Holdouts &amp; groups
            </a>
          )}
          {signedIn && (
            <a href={href({ page: 'units' })} aria-current={current(['units'])}>
              Units
            </a>
          )}
          {signedIn && (
            <a href={href({ page: 'integrations' })} aria-current={current(['integrations'])}>
              Integrations
            </a>
          )}
          <a href={href({ page: 'calculator' })} aria-current={current(['calculator'])}>
            Calculator
          </a>
          <a href="/docs">API</a>
          {signedIn && (
            <button type="button" class="link" onClick={onSignOut} data-testid="sign-out">
              Sign out
            </button>
          )}
        </nav>
      </header>
      <main class="page">{children}</main>
    </>
  );
}
