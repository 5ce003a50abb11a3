/** Hash routes: the dashboard is one page, so deep links need no server support. */

import { useEffect, useState } from 'preact/hooks';

/** A parsed location. */
export type Route =
  | { page: 'list' }
  | { page: 'new' }
  | { page: 'results'; id: string }
  | { page: 'edit'; id: string }
  | { page: 'calculator' }
  | { page: 'audience' }
  | { page: 'units' }
  | { page: 'integrations' };

/** Parses `#/…` into a route; anything unknown is the list. */
export function parse(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'new') return { page: 'new' };
  if (parts[0] === 'calculator') return { page: 'calculator' };
  if (parts[0] === 'audience') return { page: 'audience' };
  if (parts[0] === 'units') return { page: 'units' };
  if (parts[0] === 'integrations') return { page: 'integrations' };
  if (parts[0] === 'experiments' && parts[1]) {
    return parts[2] === 'edit' ? { page: 'edit', id: parts[1] } : { page: 'results', id: parts[1] };
  }
  return { page: 'list' };
}

/** The link for a route. */
export function href(route: Route): string {
  switch (route.page) {
    case 'list':
      return '#/';
    case 'new':
      return '#/new';
    case 'calculator':
      return '#/calculator';
    case 'audience':
      return '#/audience';
    case 'units':
      return '#/units';
    case 'integrations':
      return '#/integrations';
    case 'results':
      return `#/experiments/${encodeURIComponent(route.id)}`;
    case 'edit':
      return `#/experiments/${encodeURIComponent(route.id)}/edit`;
  }
}

/** Navigates to a route. */
export function go(route: Route): void {
  location.hash = href(route);
}

/** The current route, updated on navigation. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const update = () => setRoute(parse(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
