import type { RolePermissionMap } from './permissions.js';

/** The reference shop's global roles. Deployments pass their own map instead. */
export const shopRolePermissions: RolePermissionMap = Object.freeze({
  customer: Object.freeze(['orders:view', 'profile:edit', 'checkout:place_order'] as const),
  support: Object.freeze(['orders:view', 'orders:view_any'] as const),
  store_manager: Object.freeze(['catalog:edit'] as const),
  // Shop admins shop too: an admin's order is audited in their organisation's log (erin in acme).
  admin: Object.freeze([
    'admin:access',
    'users:view_any',
    'orders:view',
    'profile:edit',
    'checkout:place_order',
  ] as const),
});

/** The reference shop's roles inside a tenant (organisation). */
export const shopTenantRolePermissions: RolePermissionMap = Object.freeze({
  org_admin: Object.freeze(['users:view', 'billing:view', 'billing:edit', 'audit:view'] as const),
  member: Object.freeze(['users:view'] as const),
});
