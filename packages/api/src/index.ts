export {
  type AccessTokenClaims,
  type AccessTokenVerifier,
  createAccessTokenVerifier,
  type VerifiedAccessToken,
  type VerifyOptions,
} from './access-token-verifier.js';
export { type AuditEvent, type AuditOutcome, type AuditSink, MemoryAuditSink } from './audit.js';
export type { DPoPRequest } from './dpop-proof.js';
export {
  ApiError,
  type ApiErrorCode,
  type ApiErrorCodeInfo,
  type ApiErrorOptions,
  apiErrorCodes,
  isApiError,
  type ProblemCode,
} from './errors.js';
export {
  type AuthorizeOptions,
  authorize,
  type RequireAuthLevelOptions,
  type RequirePermissionOptions,
  type RequireTenantPermissionOptions,
  requireAuthLevel,
  requirePermission,
  requirePrincipal,
  requireScope,
  requireTenantPermission,
} from './guards.js';
export { refuseUnknownFields, strictObject } from './mass-assignment.js';
export {
  type AccessTokenVerifierOptions,
  type ApiConfig,
  defaultProtectedFields,
  type GatehouseApiOptions,
  OptionsError,
  resolveApiOptions,
  resolveVerifierOptions,
  type SupportedAlgorithm,
  supportedAlgorithms,
  type VerifierConfig,
} from './options.js';
export { type GatehouseApi, gatehouseApi, type RouteAuth } from './plugin.js';
export { type ApiPrincipal, type PrincipalMapping, principalFromClaims } from './principal.js';
export { type Problem, problemFor, sendProblem } from './problem.js';
