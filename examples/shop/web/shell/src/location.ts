import { useSyncExternalStore } from 'react';

const EVENT = 'shop:locationchange';

// The shell runtime moves between routes with history.pushState/replaceState (no event of their own):
// announce them, so the header follows the route (active category, the search box).
for (const method of ['pushState', 'replaceState'] as const) {
  const original = history[method].bind(history);
  history[method] = (...args: Parameters<History['pushState']>) => {
    original(...args);
    dispatchEvent(new Event(EVENT));
  };
}

const subscribe = (listener: () => void) => {
  addEventListener('popstate', listener);
  addEventListener(EVENT, listener);
  return () => {
    removeEventListener('popstate', listener);
    removeEventListener(EVENT, listener);
  };
};

/** The current path and query, re-rendering on every route change. */
export function useLocation(): { pathname: string; search: string } {
  const href = useSyncExternalStore(subscribe, () => location.pathname + location.search);
  const url = new URL(href, location.origin);
  return { pathname: url.pathname, search: url.search };
}
