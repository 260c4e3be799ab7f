export type {
  IdentityContext,
  IdentityUser,
  LoginOptions,
  LoginOutcome,
  LoginPrompt,
  Permission,
  Resource,
  TenantMembership,
} from '@gatehouse/policy';
export { deepFreeze, loginOutcomes, readLoginOutcome } from '@gatehouse/policy';
export {
  type ApiClient,
  type ApiClientOptions,
  type ApiRequestInit,
  createApiClient,
  problemError,
  randomHex,
} from './api-client.js';
export {
  createRemoteContext,
  type RemoteContext,
  type RemoteContextInit,
  type RouteInfo,
} from './context.js';
export {
  ApiError,
  ForbiddenError,
  NotFoundError,
  type Problem,
  type ProblemCode,
  RemoteError,
  type RemoteErrorCode,
  UnauthenticatedError,
} from './errors.js';
export {
  type AuthEventMap,
  createEventBus,
  type EventBus,
  type EventBusOptions,
  type EventListener,
  type EventPayload,
  type EventType,
  findSecret,
  type LogoutReason,
  scopeEventBus,
} from './events.js';
export { defineRemote, type RemoteLifecycle, type RemoteModule } from './lifecycle.js';
export {
  type ApiHandler,
  createTestContext,
  problem,
  type TestApiRequest,
  type TestContext,
  type TestContextOptions,
} from './testing.js';
