export { type ClaimMapping, identityFromClaims } from './claims.js';
export { type Condition, defineCondition, featureFlag, type PermissionPattern } from './conditions.js';
export {
  asymmetricJwsAlgorithms,
  type Problem,
  type ProblemCode,
  problemCodeOf,
  problemCodes,
} from './contract.js';
export {
  type AccessRequest,
  can,
  type Decision,
  type DecisionContext,
  type DenyReason,
  decide,
  denyReasons,
  type Grant,
} from './decision.js';
export {
  anonymousIdentity,
  type IdentityContext,
  type IdentityUser,
  type TenantMembership,
} from './identity.js';
export { isPermission, type Permission, permissionsForRoles, type RolePermissionMap } from './permissions.js';
export { createPolicy, type Policy, type PolicyOptions } from './policy.js';
export type { Principal, Resource } from './principal.js';
export { shopRolePermissions, shopTenantRolePermissions } from './shop-roles.js';
