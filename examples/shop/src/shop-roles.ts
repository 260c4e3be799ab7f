import type { RolePermissionMap } from '@gatehouse/policy';

/**
 * The reference shop's role map: what each role of the identity provider may do in the shop. The BFF (for the
 * identity the browser sees) and every domain API (for what it enforces) are given this map; the Gatehouse
 * packages grant nothing by default. To let a role do something new, add the permission here (and check it in
 * the API that owns it).
 */
export const shopRolePermissions: RolePermissionMap = Object.freeze({
  customer: Object.freeze(['orders:view', 'profile:edit', 'checkout:place_order', 'wishlist:edit'] as const),
  support: Object.freeze(['orders:view', 'orders:view_any'] as const),
  store_manager: Object.freeze(['catalog:edit'] as const),
  // Shop admins shop too: an admin's order is audited in their organisation's log (erin in acme).
  admin: Object.freeze([
    'admin:access',
    'users:view_any',
    'orders:view',
    'profile:edit',
    'checkout:place_order',
    'wishlist:edit',
  ] as const),
});

/** The reference shop's roles inside a tenant (organisation). */
export const shopTenantRolePermissions: RolePermissionMap = Object.freeze({
  org_admin: Object.freeze(['users:view', 'billing:view', 'billing:edit', 'audit:view'] as const),
  member: Object.freeze(['users:view'] as const),
});

/** Both maps, as the BFF's and the API plugin's `roles` / `tenantRoles` options take them. */
export const shopRoleMaps = Object.freeze({
  roles: shopRolePermissions,
  tenantRoles: shopTenantRolePermissions,
});
