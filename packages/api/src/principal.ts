import { identityFromClaims, type Principal, type RolePermissionMap } from '@gatehouse/policy';
import type { AccessTokenClaims } from './access-token-verifier.js';

/**
 * The caller as a domain API sees it, built only from a verified access token. `id` and `sub` are the same
 * user id; users are identified by `iss` + `sub`. Tenants come from the token's `tenants` claim; a request's
 * tenant is taken from the route and checked against them, never from a client header.
 */
export interface ApiPrincipal extends Principal {
  readonly iss: string;
  readonly sub: string;
  readonly id: string;
  readonly roles: readonly string[];
  /** OAuth scopes granted to the client (`scope` string or `scp` array). */
  readonly scope: readonly string[];
  /** The OAuth client the token was issued to (`client_id`, else `azp`), when the issuer says. */
  readonly clientId?: string;
  /** The authentication context class of the user's sign-in (`acr`), when the token says. */
  readonly acr?: string;
  /** When the user last authenticated (`auth_time`, epoch seconds), when the token says. */
  readonly authTime?: number;
  /** The one tenant the token acts in (the `activeTenantClaim`), when the issuer scoped it to one. */
  readonly activeTenant?: string;
}

/** How claims become a principal: the roles claim and the two role maps. */
export interface PrincipalMapping {
  readonly rolesClaim?: string;
  /** The claim naming the tenant the token acts in (see the plugin's `activeTenantClaim`). */
  readonly activeTenantClaim?: string;
  readonly roles?: RolePermissionMap;
  readonly tenantRoles?: RolePermissionMap;
}

const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;

function scopesFrom(claims: Readonly<Record<string, unknown>>): string[] {
  const raw =
    typeof claims.scope === 'string' ? claims.scope.split(' ') : Array.isArray(claims.scp) ? claims.scp : [];
  return [...new Set(raw.filter((s): s is string => typeof s === 'string' && SCOPE.test(s)))].slice(0, 64);
}

/**
 * Builds the {@link ApiPrincipal} of verified claims: roles from the roles claim, permissions from the role
 * map (never from a `permissions` claim; no map, no permissions), tenant memberships from the `tenants` claim
 * (`[{ id, roles }]`) with the tenant role map.
 *
 * @example
 * principalFromClaims(
 *   { iss: 'http://localhost:4001', sub: 'user_frank', exp: 1, roles: ['customer'], tenants: [{ id: 'globex', roles: ['member'] }] },
 *   { roles: { customer: ['checkout:place_order'] }, tenantRoles: { member: ['users:view'] } },
 * )
 * // { sub: 'user_frank', id: 'user_frank', permissions: ['checkout:place_order', ...], tenants: [{ id: 'globex', roles: ['member'], permissions: ['users:view'] }], ... }
 */
export function principalFromClaims(claims: AccessTokenClaims, mapping: PrincipalMapping = {}): ApiPrincipal {
  const user = identityFromClaims(claims, {
    // No map, no permissions: the API grants only what the deployment wrote down.
    roles: mapping.roles ?? {},
    tenantRoles: mapping.tenantRoles ?? {},
    ...(mapping.rolesClaim ? { rolesClaim: mapping.rolesClaim } : {}),
  });
  const client = typeof claims.client_id === 'string' ? claims.client_id : claims.azp;
  const activeTenant = mapping.activeTenantClaim ? claims[mapping.activeTenantClaim] : undefined;
  return Object.freeze({
    iss: claims.iss,
    sub: user.id,
    id: user.id,
    roles: Object.freeze([...user.roles]),
    permissions: Object.freeze([...user.permissions]),
    tenants: Object.freeze(user.tenants.map((tenant) => Object.freeze({ ...tenant }))),
    scope: Object.freeze(scopesFrom(claims)),
    ...(typeof client === 'string' && client.length <= 255 ? { clientId: client } : {}),
    ...(typeof claims.acr === 'string' && claims.acr.length <= 255 ? { acr: claims.acr } : {}),
    ...(Number.isSafeInteger(claims.auth_time) ? { authTime: claims.auth_time as number } : {}),
    ...(typeof activeTenant === 'string' && activeTenant.length <= 255 ? { activeTenant } : {}),
  });
}
