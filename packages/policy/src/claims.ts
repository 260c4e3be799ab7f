import type { IdentityUser, TenantMembership } from './identity.js';
import { permissionsForRoles, type RolePermissionMap } from './permissions.js';

/** How claims from an ID token or userinfo become an {@link IdentityUser}. */
export interface ClaimMapping {
  /** Claim holding the user's roles: an array of strings (default `roles`). */
  readonly rolesClaim?: string;
  /** Global role → permissions. */
  readonly roles: RolePermissionMap;
  /** Tenant role → permissions inside that tenant. */
  readonly tenantRoles?: RolePermissionMap;
}

const stringArray = (value: unknown): string[] =>
  Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string' && item.length <= 256)
    : [];

const text = (value: unknown, max = 256): string | undefined =>
  typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;

function tenantsFrom(value: unknown, tenantRoles: RolePermissionMap): TenantMembership[] {
  if (!Array.isArray(value)) return [];
  const tenants: TenantMembership[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null) continue;
    const record = item as Record<string, unknown>;
    const id = text(record.id, 128);
    if (!id) continue;
    const roles = stringArray(record.roles);
    tenants.push({ id, roles, permissions: permissionsForRoles(roles, tenantRoles) });
  }
  return tenants;
}

/**
 * Builds the token-free identity of docs/http-contract.md#identity-context from verified claims: `user.id` is `sub`, `displayName` is
 * `name` (falling back to `preferred_username`, then `sub`), roles from the roles claim, permissions from the
 * role map, tenants from the `tenants` claim (`[{ id, roles }]`). Unknown claims are dropped.
 *
 * @example
 * identityFromClaims({ sub: 'user_alice', name: 'Alice', roles: ['customer'] }, { roles: shopRolePermissions })
 */
export function identityFromClaims(
  claims: Readonly<Record<string, unknown>>,
  mapping: ClaimMapping,
): IdentityUser {
  const sub = text(claims.sub, 255);
  if (!sub) throw new TypeError('claims have no usable "sub"');
  const roles = stringArray(claims[mapping.rolesClaim ?? 'roles']);
  const user: IdentityUser = {
    id: sub,
    displayName: text(claims.name) ?? text(claims.preferred_username) ?? sub,
    roles,
    permissions: permissionsForRoles(roles, mapping.roles),
    tenants: tenantsFrom(claims.tenants, mapping.tenantRoles ?? {}),
    ...(text(claims.locale, 35) ? { locale: text(claims.locale, 35) } : {}),
    ...(text(claims.currency, 8) ? { currency: text(claims.currency, 8) } : {}),
  };
  return user;
}
