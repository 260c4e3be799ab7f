import { matchRoutePattern, pathSegments, type RouteAuth } from '@gatehouse/policy';
import type { RouteRule } from './config.js';

export type { RouteAuth };

/**
 * The BFF's table of shell routes for HTML navigations: `/checkout`, `/orders/:id`, `/org/:tenant/*`, in the
 * grammar the shell's route table uses too (`matchRoutePattern` of `@gatehouse/policy`), on the decoded path,
 * so a route means the same on both sides. The first matching route decides; a path no route matches, or one
 * whose encoding is malformed, is public (the page is served and the shell shows its not-found view).
 *
 * @example
 * const table = new RouteTable([{ path: '/orders/*', auth: 'required' }]);
 * table.auth('/orders/order_123') // 'required'
 */
export class RouteTable {
  readonly #rules: readonly RouteRule[];

  constructor(rules: readonly RouteRule[]) {
    this.#rules = rules;
  }

  /** The auth rule for `path` (no query). */
  auth(path: string): RouteAuth {
    const parts = pathSegments(path);
    if (parts) for (const rule of this.#rules) if (matchRoutePattern(rule.path, parts)) return rule.auth;
    return 'public';
  }
}
