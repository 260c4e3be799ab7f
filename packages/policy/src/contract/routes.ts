/**
 * The route-pattern grammar that the BFF (which navigations need a session) and the shell (which remote a
 * URL shows, and who may see it) share, so one route means the same on both sides:
 * `/orders/:id` (a parameter per `:name` segment), `/org/:tenant/*` (a last `*` matches the rest).
 */

/** How a route treats anonymous visitors: shown, shown with a sign-in prompt in the remote, or sent to login. */
export type RouteAuth = 'public' | 'optional' | 'required';

/** Every {@link RouteAuth}, from the least to the most demanding. */
export const routeAuths: readonly RouteAuth[] = /* @__PURE__ */ Object.freeze([
  'public',
  'optional',
  'required',
]);

/**
 * The decoded segments of a URL path (no query), or `undefined` when its percent-encoding is malformed.
 * `/orders/order%5F1/` → `['orders', 'order_1']`.
 *
 * @example
 * pathSegments('/org/acme/users') // ['org', 'acme', 'users']
 */
export function pathSegments(path: string): string[] | undefined {
  try {
    return path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

/**
 * Matches a path's segments against a pattern: its parameters (`*` holding the rest of the path for a
 * trailing `*`), or `undefined` when it does not match.
 *
 * @example
 * matchRoutePattern('/orders/:id', ['orders', 'order_1']) // { id: 'order_1' }
 * matchRoutePattern('/org/:tenant/*', ['org', 'acme'])     // { tenant: 'acme', '*': '' }
 */
export function matchRoutePattern(
  pattern: string,
  parts: readonly string[],
): Record<string, string> | undefined {
  const segments = pattern.split('/').filter(Boolean);
  const rest = segments.at(-1) === '*';
  const n = rest ? segments.length - 1 : segments.length;
  if (rest ? parts.length < n : parts.length !== n) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const segment = segments[i]!;
    if (segment[0] === ':') params[segment.slice(1)] = parts[i]!;
    else if (segment !== parts[i]) return undefined;
  }
  if (rest) params['*'] = parts.slice(n).join('/');
  return params;
}

/**
 * The name of an upstream, as the BFF's configuration names it and `/api/<name>/…` reaches it (and as a remote
 * manifest's `upstreams` lists it for `@gatehouse/shell/upstreams`).
 */
export const upstreamNamePattern = '^[a-z0-9][a-z0-9-]{0,62}$';
