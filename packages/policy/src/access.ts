import { allows } from './decision.js';
import type { Permission } from './permissions.js';
import type { Principal } from './principal.js';

/** What a route, or a sensitive remote's code, asks of the signed-in user. */
export interface AccessRequirement {
  /** At least one role of each set (a route nested in another must satisfy every level). */
  readonly roles?: readonly (readonly string[])[];
  /** Every one of these, decided by {@link allows}: inside `tenant` when it names one, else globally. */
  readonly permissions?: readonly Permission[];
  /** A tenant the user must be a member of: its id, or `true` for any tenant. */
  readonly tenant?: string | true;
}

/** Why {@link checkAccess} refused: the role, the tenant membership, or a permission (named). */
export type AccessRefusal =
  | { readonly reason: 'role' | 'tenant' }
  | { readonly reason: 'permission'; readonly permission: Permission };

/**
 * Checks a requirement against a principal in one fixed order (roles, tenant, permissions: {@link allows},
 * without conditions), so the shell's route guard and the BFF's gate on protected code decide alike. Answers
 * `undefined` when allowed.
 *
 * @example
 * checkAccess(erin, { roles: [['admin']] })                                  // undefined
 * checkAccess(frank, { tenant: 'acme', permissions: ['users:view'] })         // { reason: 'tenant' }
 * checkAccess(alice, { permissions: ['catalog:edit'] }) // { reason: 'permission', permission: 'catalog:edit' }
 */
export function checkAccess(principal: Principal, requirement: AccessRequirement): AccessRefusal | undefined {
  const { roles = [], permissions = [], tenant } = requirement;
  if (!roles.every((set) => set.some((role) => principal.roles?.includes(role)))) return { reason: 'role' };
  if (tenant !== undefined && !principal.tenants.some((t) => tenant === true || t.id === tenant))
    return { reason: 'tenant' };
  const resource = typeof tenant === 'string' ? { tenantId: tenant } : undefined;
  for (const permission of permissions)
    if (!allows(principal, permission, resource)) return { reason: 'permission', permission };
  return undefined;
}
