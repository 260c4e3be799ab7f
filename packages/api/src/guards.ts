import {
  type DecisionContext,
  isPermission,
  meetsRequirement,
  type Permission,
  type Resource,
  stepUpRequirement,
} from '@gatehouse/policy';
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { ApiError } from './errors.js';
import { addNote } from './lib/audit-notes.js';
import type { ApiPrincipal } from './principal.js';

function definedPermission(permission: Permission): Permission {
  if (!isPermission(permission)) {
    throw new ApiError(
      'GH_API_OPTIONS_INVALID',
      `"${String(permission)}" is not a <domain>:<action> permission`,
    );
  }
  return permission;
}

function pluginOf(request: FastifyRequest) {
  const api = request.server.gatehouse;
  if (!api)
    throw new ApiError('GH_API_INTERNAL', 'the gatehouseApi plugin is not registered in this context');
  return api;
}

/**
 * The verified caller, or a 401 (`GH_API_TOKEN_MISSING`) when the route let an anonymous request through.
 *
 * @example
 * const me = requirePrincipal(request); // me.sub === 'user_alice'
 */
export function requirePrincipal(request: FastifyRequest): ApiPrincipal {
  if (!request.principal) throw new ApiError('GH_API_TOKEN_MISSING', 'no verified principal');
  return request.principal;
}

function enforce(
  request: FastifyRequest,
  permission: Permission,
  resource: Resource | undefined,
  context: DecisionContext | undefined,
): void {
  const principal = requirePrincipal(request);
  const decision = pluginOf(request).policy.decide(principal, permission, resource, context);
  const tenant = resource?.tenantId ?? undefined;
  addNote(request, {
    permission,
    ...(resource?.type || resource?.id ? { resource: { type: resource.type, id: resource.id } } : {}),
    ...(tenant ? { tenant } : {}),
  });
  if (!decision.allowed) {
    addNote(request, { reason: decision.reason });
    throw new ApiError('GH_API_FORBIDDEN', `${permission} denied: ${decision.reason}`, {
      detail: decision.detail,
    });
  }
}

/** Options of {@link requirePermission}. */
export interface RequirePermissionOptions {
  /** Extra context for the policy's conditions (feature flags, ...), computed per request. */
  readonly context?: (request: FastifyRequest) => DecisionContext | undefined;
}

/**
 * A `preHandler` that lets the request through only if the caller holds `permission` globally (or its
 * `_any` variant): 401 without a principal, 403 `forbidden` otherwise. Use it on every route; check owned
 * or tenant resources with {@link authorize} once they are loaded.
 *
 * @example
 * app.get('/admin/users', { preHandler: requirePermission('users:view_any') }, handler);
 */
export function requirePermission(
  permission: Permission,
  options: RequirePermissionOptions = {},
): preHandlerAsyncHookHandler {
  const checked = definedPermission(permission);
  return async (request) => enforce(request, checked, undefined, options.context?.(request));
}

/** Options of {@link requireTenantPermission}. */
export interface RequireTenantPermissionOptions extends RequirePermissionOptions {
  /** The route parameter naming the tenant (default `tenant`, as in `/org/:tenant/users`). */
  readonly param?: string;
}

/**
 * A `preHandler` for tenant routes: the tenant is the route parameter, checked against the memberships in
 * the verified token; the caller needs `permission` in that tenant (403 otherwise, also for another tenant).
 * With the plugin's `activeTenantClaim`, the token must also act in that tenant (403 `not_active_tenant`
 * otherwise: the user works in another one). On success `request.tenant` holds the tenant id. Client
 * headers such as `X-Tenant-ID` are never read.
 *
 * @example
 * app.get('/org/:tenant/users', { preHandler: requireTenantPermission('users:view') }, (request) => usersOf(request.tenant!));
 */
export function requireTenantPermission(
  permission: Permission,
  options: RequireTenantPermissionOptions = {},
): preHandlerAsyncHookHandler {
  const checked = definedPermission(permission);
  const param = options.param ?? 'tenant';
  return async (request) => {
    const value = (request.params as Record<string, unknown> | undefined)?.[param];
    if (typeof value !== 'string' || value.length === 0) {
      throw new ApiError('GH_API_INTERNAL', `route has no ":${param}" parameter for requireTenantPermission`);
    }
    enforce(request, checked, { tenantId: value }, options.context?.(request));
    const { activeTenantClaim } = pluginOf(request).config;
    if (activeTenantClaim !== undefined && requirePrincipal(request).activeTenant !== value) {
      addNote(request, { reason: 'not_active_tenant' });
      throw new ApiError('GH_API_FORBIDDEN', `${checked} denied: not_active_tenant`, {
        detail: 'The request acts in another organisation than the one you work in. Switch to it first.',
      });
    }
    request.tenant = value;
  };
}

/** A scope token of RFC 6749 §3.3: printable ASCII without space, `"` or `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * A `preHandler` that needs every one of `scopes` in the token's `scope`: 403 with
 * `WWW-Authenticate: Bearer error="insufficient_scope"` otherwise. No scope, or one that is not a scope token
 * (empty, with a space…), throws `GH_API_OPTIONS_INVALID` when the route is defined: it would let every
 * caller through, or none.
 *
 * @example
 * app.get('/orders', { preHandler: [requireScope('orders'), requirePermission('orders:view')] }, handler);
 */
export function requireScope(...scopes: string[]): preHandlerAsyncHookHandler {
  const bad =
    scopes.length === 0
      ? ['none given']
      : scopes.filter((scope) => typeof scope !== 'string' || !SCOPE_TOKEN.test(scope));
  if (bad.length > 0)
    throw new ApiError(
      'GH_API_OPTIONS_INVALID',
      `requireScope: not scope tokens: ${bad.map(String).join(', ')}`,
    );
  const needed = Object.freeze([...scopes]);
  return async (request) => {
    const principal = requirePrincipal(request);
    const missing = needed.filter((scope) => !principal.scope.includes(scope));
    if (missing.length > 0) {
      addNote(request, { reason: 'GH_API_INSUFFICIENT_SCOPE' });
      throw new ApiError('GH_API_INSUFFICIENT_SCOPE', `scope ${missing.join(' ')} missing`, {
        detail: `The token lacks the scope ${missing.join(' ')}.`,
      });
    }
  };
}

/** Options of {@link requireAuthLevel}: at least one of the two. */
export interface RequireAuthLevelOptions {
  /** The authentication context classes accepted (any one of them), most wanted first. */
  readonly acr?: string | readonly string[];
  /** The most seconds since the user last authenticated (`auth_time`). */
  readonly maxAge?: number;
}

/**
 * A `preHandler` that needs a strong or recent enough sign-in, read from the access token's `acr` and
 * `auth_time`: otherwise 401 `step_up_required` with `WWW-Authenticate: Bearer
 * error="insufficient_user_authentication", acr_values="…", max_age="…"` (RFC 9470), which the BFF turns into
 * a step-up for the browser. A token without `acr` (or `auth_time`, when `maxAge` is set) does not meet it.
 * Options that name nothing, an `acr` that is not a visible-ASCII token or a `maxAge` that is not a whole
 * number of seconds throw `GH_API_OPTIONS_INVALID` when the route is defined.
 *
 * @example
 * app.put('/billing', { preHandler: [requirePermission('billing:edit'), requireAuthLevel({ acr: 'urn:gatehouse:loa:2', maxAge: 300 })] }, handler);
 */
export function requireAuthLevel(options: RequireAuthLevelOptions): preHandlerAsyncHookHandler {
  const acr = typeof options.acr === 'string' ? [options.acr] : [...(options.acr ?? [])];
  const requirement = stepUpRequirement(acr.length > 0 ? acr.join(' ') : undefined, options.maxAge);
  const complete =
    (acr.length === 0 || requirement?.acr_values !== undefined) &&
    (options.maxAge === undefined || requirement?.max_age !== undefined);
  if (!requirement || !complete)
    throw new ApiError(
      'GH_API_OPTIONS_INVALID',
      'requireAuthLevel: give acr (visible-ASCII tokens) and/or maxAge (whole seconds)',
    );
  const needed = Object.freeze(requirement);
  return async (request) => {
    const principal = requirePrincipal(request);
    const level = {
      ...(principal.acr === undefined ? {} : { acr: principal.acr }),
      ...(principal.authTime === undefined ? {} : { authTime: principal.authTime }),
    };
    if (meetsRequirement(level, needed)) return;
    addNote(request, { reason: 'GH_API_STEP_UP_REQUIRED' });
    throw new ApiError('GH_API_STEP_UP_REQUIRED', `sign-in ${principal.acr ?? '(no acr)'} not enough`, {
      detail: 'This needs a stronger or more recent sign-in.',
      stepUp: needed,
    });
  };
}

/** Options of {@link authorize}. */
export interface AuthorizeOptions {
  /** The resource's type for the 404's detail and the audit event, when the resource has none. */
  readonly type?: string;
  /** Extra context for the policy's conditions. */
  readonly context?: DecisionContext;
}

/**
 * Object-level check of a loaded resource (IDOR/BOLA): nothing loaded → 404 `not_found`; loaded but the
 * policy denies (someone else's, another tenant's) → 403 `forbidden`; otherwise returns the resource,
 * narrowed to non-null. The resource's `ownerId` / `tenantId` drive the policy's ownership and tenant rules.
 *
 * @example
 * const order = authorize(request, 'orders:view', orders.get(request.params.id), { type: 'order' });
 */
export function authorize<R extends Resource>(
  request: FastifyRequest,
  permission: Permission,
  resource: R | null | undefined,
  options: AuthorizeOptions = {},
): R {
  const checked = definedPermission(permission);
  requirePrincipal(request);
  if (resource === null || resource === undefined) {
    addNote(request, { permission: checked, ...(options.type ? { resource: { type: options.type } } : {}) });
    const what = options.type ?? 'resource';
    throw new ApiError('GH_API_NOT_FOUND', `${what} not found`, { detail: `No such ${what.slice(0, 64)}.` });
  }
  const described = resource.type || !options.type ? resource : { ...resource, type: options.type };
  enforce(request, checked, described, options.context);
  return resource;
}
