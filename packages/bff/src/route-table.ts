import type { RouteRule } from './config.js';

/** How a navigation to a path must be treated. */
export type RouteAuth = RouteRule['auth'];

interface CompiledRoute {
  readonly segments: readonly string[];
  readonly rest: boolean;
  readonly auth: RouteAuth;
}

/**
 * The BFF's table of shell routes for HTML navigations: `/checkout`, `/orders/:id`, `/org/:tenant/*`.
 * The first matching route decides; a path no route matches is public.
 *
 * @example
 * const table = new RouteTable([{ path: '/orders/*', auth: 'required' }]);
 * table.auth('/orders/order_123') // 'required'
 */
export class RouteTable {
  readonly #routes: readonly CompiledRoute[];

  constructor(rules: readonly RouteRule[]) {
    this.#routes = rules.map((rule) => {
      const parts = rule.path.split('/').filter(Boolean);
      const rest = parts[parts.length - 1] === '*';
      return { segments: rest ? parts.slice(0, -1) : parts, rest, auth: rule.auth };
    });
  }

  /** The auth rule for `path` (no query). */
  auth(path: string): RouteAuth {
    const parts = path.split('/').filter(Boolean);
    for (const route of this.#routes) if (matches(route, parts)) return route.auth;
    return 'public';
  }
}

function matches(route: CompiledRoute, parts: readonly string[]): boolean {
  if (route.rest ? parts.length < route.segments.length : parts.length !== route.segments.length)
    return false;
  for (let i = 0; i < route.segments.length; i++) {
    const expected = route.segments[i] as string;
    if (expected.startsWith(':')) continue;
    if (expected !== parts[i]) return false;
  }
  return true;
}
