import type { RouteTable } from './routes.js';

/** The current path and query: what the route table matches. */
export const here = () => location.pathname + location.search;

/** Navigation inside the shell: its routes without a reload, anything else as usual. */
export interface Links {
  /** Goes to `to` without a reload when a route matches it, else with a normal navigation. */
  navigate(to: string, options?: { readonly replace?: boolean }): void;
  /** Follows clicks on links to a route, and back/forward, without a reload, until `signal` aborts. */
  listen(signal: AbortSignal): void;
}

/**
 * Link interception and navigation: only same-origin URLs of a route in `table` are the shell's to show
 * (`render` shows them); a modified click, a link to another window, a download or a jump within the page
 * is left to the browser.
 *
 * @example
 * const links = createLinks(table, render);
 * links.listen(controller.signal);
 * links.navigate('/orders/order_123');
 */
export function createLinks(table: RouteTable, render: () => void): Links {
  // A URL or a link (an anchor has a URL's parts).
  const ours = (url: URL | HTMLAnchorElement) => url.origin === location.origin && table.match(url.pathname);
  const navigate = (to: string, options?: { readonly replace?: boolean }) => {
    const url = new URL(to, location.href);
    if (!ours(url)) return location.assign(url.href);
    history[options?.replace ? 'replaceState' : 'pushState'](null, '', url.href);
    render();
  };
  return {
    navigate,
    listen(signal) {
      addEventListener('popstate', render, { signal });
      document.addEventListener(
        'click',
        (event) => {
          const a = (event.target as Element).closest?.('a[href]') as HTMLAnchorElement | null;
          if (
            a &&
            !(
              event.defaultPrevented ||
              event.button ||
              event.metaKey ||
              event.ctrlKey ||
              event.shiftKey ||
              event.altKey
            ) &&
            !(a.target && a.target !== '_self') &&
            !a.hasAttribute('download') &&
            !(a.hash && a.pathname + a.search === here()) &&
            ours(a)
          ) {
            event.preventDefault();
            navigate(a.href);
          }
        },
        { signal },
      );
    },
  };
}
