import { checkAccess, type Permission } from '@gatehouse/policy';
import type { AuthState } from './auth-store.js';
import type { RouteMatch } from './routes.js';

/**
 * What the shell does with a route:
 * - `render`: mount the route's remote;
 * - `wait`: the auth state is not known yet (nothing is loaded for a protected route);
 * - `login`: anonymous on a required route: go to `/auth/login?returnTo=<returnTo>`;
 * - `signed-out`: the session ended while the page was open (`expired` or `logged-out`): say so, offer to
 *   sign in again;
 * - `no-access`: signed in without the role (`role`), the tenant membership (`tenant`) or a permission
 *   (`permission`, naming it);
 * - `not-found`: no route matches.
 */
export type GuardDecision =
  | { readonly kind: 'render' | 'wait' | 'not-found' }
  | { readonly kind: 'login'; readonly returnTo: string }
  | { readonly kind: 'signed-out'; readonly reason: string }
  | {
      readonly kind: 'no-access';
      readonly reason: 'role' | 'tenant' | 'permission';
      readonly permission?: Permission;
    };

/**
 * The route guard: a pure function of the matched route and the auth state.
 *
 * @example
 * guard(table.match('/checkout'), { status: 'anonymous', identity }) // { kind: 'login', returnTo: '/checkout' }
 * guard(table.match('/admin'), aliceState)                           // { kind: 'no-access', reason: 'role' }
 */
export function guard(match: RouteMatch | undefined, state: AuthState): GuardDecision {
  if (!match) return { kind: 'not-found' };
  if (state.status === 'loading') return { kind: 'wait' };
  const { route, params } = match;
  if (route.auth !== 'required') return { kind: 'render' };
  if (state.status === 'anonymous') return { kind: 'login', returnTo: match.path + match.search };
  if (state.status !== 'authenticated')
    return { kind: 'signed-out', reason: (state as { reason?: string }).reason ?? 'session_expired' };
  // The route's roles and permissions; the tenant its `tenantParam` names, if any.
  const refused = checkAccess(state.identity.user, {
    ...route,
    tenant: route.tenantParam === undefined ? undefined : params[route.tenantParam],
  });
  return refused ? { kind: 'no-access', ...refused } : { kind: 'render' };
}
