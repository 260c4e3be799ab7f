export { type AccessRefusal, type AccessRequirement, checkAccess } from './access.js';
export { type ClaimMapping, identityFromClaims } from './claims.js';
export { type Condition, defineCondition, featureFlag, type PermissionPattern } from './conditions.js';
export { asymmetricJwsAlgorithms } from './contract/algorithms.js';
export {
  type AuthMessage,
  type AuthMessageType,
  type ExpiryReason,
  endMessage,
  expiryReasons,
  type LogoutReason,
  logoutReasons,
  readAuthMessage,
  type SessionEndMessage,
  type SessionEndReason,
} from './contract/auth-messages.js';
export { hasJwtShape, looksLikeCredential } from './contract/credentials.js';
export {
  type LoginOptions,
  type LoginOutcome,
  type LoginPrompt,
  loginOptionLimits,
  loginOptionPatterns,
  loginOutcomeParam,
  loginOutcomes,
  loginPrompts,
  readLoginOutcome,
  withLoginOutcome,
} from './contract/login.js';
export {
  type BridgeMessage,
  type BridgeNextEvent,
  type BridgeRefusal,
  type BridgeRequest,
  type BridgeResponse,
  bridgeAuthActions,
  bridgeLimits,
  bridgeMethods,
  bridgeName,
  bridgePathAllowed,
  bridgeRequestHeaders,
  bridgeResponseHeaders,
  type NativeTokenRequest,
  type NativeTokenResponse,
  nativeHandoffLimits,
  nativeHandoffPatterns,
  nativePaths,
  readBridgeMessage,
} from './contract/native.js';
export {
  isProblemCode,
  type Problem,
  type ProblemCode,
  type ProblemOptions,
  problem,
  problemCodeOf,
  problemCodes,
  problemTable,
  problemTypeBase,
} from './contract/problems.js';
export {
  isLockedDependencyList,
  type LockedDependency,
  remoteManifestKeys,
} from './contract/remote-manifest.js';
export {
  matchRoutePattern,
  pathSegments,
  type RouteAuth,
  routeAuths,
  upstreamNamePattern,
} from './contract/routes.js';
export {
  endAnySessionsPermission,
  type SessionSummary,
  sessionHandlePattern,
  sessionsPath,
} from './contract/sessions.js';
export {
  type ComplexSubject,
  type CredentialChangeType,
  type IssSubSubject,
  type SsfErrorCode,
  type SsfEventType,
  type SsfSubject,
  setMediaType,
  setType,
  ssfConfigurationPath,
  ssfErrorCodes,
  ssfEventTypes,
  ssfPushDeliveryMethod,
  ssfPushPath,
} from './contract/shared-signals.js';
export {
  type AuthLevel,
  meetsRequirement,
  type PendingAction,
  pendingActionLimits,
  pendingActionNamePattern,
  pendingActionPath,
  readStepUpChallenge,
  type StepUpRequirement,
  stepUpChallenge,
  stepUpError,
  stepUpRequirement,
} from './contract/step-up.js';
export {
  type TelemetryEvent,
  type TelemetryField,
  telemetryAuthStates,
  telemetryBatchLimits,
  telemetryEventTypes,
  telemetryFieldLimits,
  telemetryFields,
} from './contract/telemetry.js';
export { type TenantSwitch, tenantIdMaxLength, tenantPath } from './contract/tenant.js';
export { formatTraceparent, parseTraceparent, type TraceParent } from './contract/trace.js';
export {
  type AccessRequest,
  allows,
  can,
  type Decision,
  type DecisionContext,
  type DenyReason,
  decide,
  denyReasons,
  type Grant,
} from './decision.js';
export { deepFreeze } from './freeze.js';
export {
  anonymousIdentity,
  type IdentityContext,
  type IdentityUser,
  type TenantMembership,
} from './identity.js';
export { optionProblems, type SchemaError } from './option-problems.js';
export {
  isPermission,
  type Permission,
  permissionPattern,
  permissionsForRoles,
  type RolePermissionMap,
  roleNamePattern,
} from './permissions.js';
export { createPolicy, type Policy, type PolicyOptions } from './policy.js';
export type { Principal, Resource } from './principal.js';
