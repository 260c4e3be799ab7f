import {
  routeAuths as AUTH,
  isPermission,
  matchRoutePattern,
  type Permission,
  pathSegments,
  type RouteAuth,
} from '@gatehouse/policy';
import { ShellError } from './errors.js';

export type { RouteAuth };

/**
 * One entry of the route table. `children` nest: their paths continue the parent's, they inherit its remote
 * and rules, and they can only add requirements (the strictest `auth` wins, every level's `roles` and
 * `permissions` must hold). A definition without `path` only groups its children.
 */
export interface RouteDefinition {
  /** `/orders/:id`; `:name` is a parameter, a last `*` matches the rest (`/org/:tenant/*`). */
  readonly path?: string;
  /** The remote (manifest `name`) that renders this route. */
  readonly remote?: string;
  /** `public` by default; `roles`, `permissions` or `tenantParam` make a route `required`. */
  readonly auth?: RouteAuth;
  /** The user needs at least one of these roles. */
  readonly roles?: readonly string[];
  /** The user needs every one of these (inside the route's tenant when `tenantParam` is set). */
  readonly permissions?: readonly Permission[];
  /** The parameter naming a tenant the user must be a member of (`tenant` for `/org/:tenant/users`). */
  readonly tenantParam?: string;
  readonly children?: readonly RouteDefinition[];
}

/** A compiled route: a full pattern and every requirement collected from its ancestors. */
export interface Route {
  readonly pattern: string;
  readonly remote: string;
  readonly auth: RouteAuth;
  /** One set per level: at least one role of each set. */
  readonly roles: readonly (readonly string[])[];
  readonly permissions: readonly Permission[];
  readonly tenantParam?: string;
}

/** A path matched to a route. */
export interface RouteMatch {
  readonly route: Route;
  readonly path: string;
  readonly search: string;
  /** Decoded parameters; `*` holds the rest of the path for a trailing `*`. */
  readonly params: Readonly<Record<string, string>>;
}

/** The shell's routes, in the order they are tried (children before their parent). */
export interface RouteTable {
  readonly routes: readonly Route[];
  /** The first route matching `url` (a path with an optional query), or `undefined`. */
  match(url: string): RouteMatch | undefined;
}

const KEYS = ['path', 'remote', 'auth', 'roles', 'permissions', 'tenantParam', 'children'];

/**
 * Compiles and checks route definitions: unknown keys, bad paths, unknown `auth`, malformed permissions, a
 * `tenantParam` the path lacks and a route without remote are refused, all listed in one
 * `GH_SHELL_BAD_ROUTES`.
 *
 * @example
 * const table = createRouteTable([
 *   { path: '/', remote: 'home' },
 *   { path: '/orders', remote: 'orders', auth: 'required', children: [{ path: ':id' }] },
 *   { path: '/org/:tenant/users', remote: 'org', tenantParam: 'tenant', permissions: ['users:view'] },
 * ]);
 * table.match('/orders/order_123?tab=items')?.params // { id: 'order_123' }
 */
export function createRouteTable(definitions: readonly RouteDefinition[]): RouteTable {
  const problems: string[] = [];
  const routes: Route[] = [];
  const visit = (definition: RouteDefinition, parent: Omit<Route, 'remote'> & { remote?: string }) => {
    const { path, remote = parent.remote, auth = 'public', roles, permissions, tenantParam } = definition;
    const problem = (what: string) => problems.push(`route "${parent.pattern}${path ?? ''}": ${what}`);
    for (const key of Object.keys(definition)) if (!KEYS.includes(key)) problem(`unknown key "${key}"`);
    if (path !== undefined && (typeof path !== 'string' || (!parent.pattern && path[0] !== '/')))
      problem('path must start with /');
    if (!AUTH.includes(auth)) problem(`auth must be one of ${AUTH}`);
    if (roles && !roles.every((role) => typeof role === 'string')) problem('roles must be strings');
    if (permissions && !permissions.every(isPermission)) problem('permissions must be <domain>:<action>');
    const pattern = `/${`${parent.pattern}/${path ?? ''}`.split('/').filter(Boolean).join('/')}`;
    const tenant = tenantParam ?? parent.tenantParam;
    if (tenant !== undefined && !pattern.split('/').includes(`:${tenant}`))
      problem(`no :${tenant} in ${pattern}`);
    const route = {
      pattern,
      remote,
      auth: AUTH[
        Math.max(
          roles?.length || permissions?.length || tenant ? 2 : AUTH.indexOf(auth),
          AUTH.indexOf(parent.auth),
        )
      ]!,
      roles: roles?.length ? [...parent.roles, roles] : parent.roles,
      permissions: [...parent.permissions, ...(permissions ?? [])],
      ...(tenant !== undefined ? { tenantParam: tenant } : {}),
    };
    for (const child of definition.children ?? []) visit(child, route);
    if (path === undefined) return;
    if (typeof remote !== 'string' || !remote) problem('no remote');
    else routes.push(route as Route);
  };
  try {
    for (const definition of definitions)
      visit(definition, { pattern: '', auth: 'public', roles: [], permissions: [] });
  } catch (cause) {
    // Not even the shape of a route table (a non-array, a null entry, children that are not an array).
    problems.push(String(cause));
  }
  if (problems.length) throw new ShellError('GH_SHELL_BAD_ROUTES', 'bad route table', { problems });
  return Object.freeze({
    routes: Object.freeze(routes),
    match(url: string) {
      const [path = '/', query] = url.split('?', 2);
      const parts = pathSegments(path);
      if (!parts) return undefined;
      for (const route of routes) {
        const params = matchRoutePattern(route.pattern, parts);
        if (params) return { route, path, search: query === undefined ? '' : `?${query}`, params };
      }
      return undefined;
    },
  });
}
