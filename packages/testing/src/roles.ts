import { deepFreeze, type IdentityUser, type RolePermissionMap } from '@gatehouse/policy';

// The role maps library tests sign the dev IdP's demo users in with (alice…frank have these roles). They are
// the tests' own fixture, not the reference shop's map: the shop may grant its roles more without breaking a
// library test, and no library grants anything by default.

/** Global roles of the demo users → the permissions library tests expect them to have. */
export const demoRolePermissions: RolePermissionMap = Object.freeze({
  customer: ['orders:view', 'profile:edit', 'checkout:place_order'],
  support: ['orders:view', 'orders:view_any'],
  store_manager: ['catalog:edit'],
  admin: ['admin:access', 'users:view_any', 'orders:view', 'profile:edit', 'checkout:place_order'],
});

/** Tenant roles of the demo users (erin is `org_admin` of acme, frank a `member` of globex). */
export const demoTenantRolePermissions: RolePermissionMap = Object.freeze({
  org_admin: ['users:view', 'billing:view', 'billing:edit', 'audit:view'],
  member: ['users:view'],
});

/** Both maps, as the BFF's and the API plugin's `roles` / `tenantRoles` options take them. */
export const demoRoleMaps = Object.freeze({
  roles: demoRolePermissions,
  tenantRoles: demoTenantRolePermissions,
});

/**
 * The user the dev IdP's alice is under {@link demoRoleMaps} (`user.permissions` sorted): the identity the
 * contract's examples show, and what the BFF serves and keeps for her.
 */
export const aliceUser: IdentityUser = deepFreeze({
  id: 'user_alice',
  displayName: 'Alice',
  roles: ['customer'],
  permissions: ['checkout:place_order', 'orders:view', 'profile:edit'],
  tenants: [],
  locale: 'en-IN',
  currency: 'INR',
});
