export { type ClaimMapping, identityFromClaims } from './claims.js';
export {
  anonymousIdentity,
  type IdentityContext,
  type IdentityUser,
  type TenantMembership,
} from './identity.js';
export { isPermission, type Permission, permissionsForRoles, type RolePermissionMap } from './permissions.js';
export { shopRolePermissions, shopTenantRolePermissions } from './shop-roles.js';
