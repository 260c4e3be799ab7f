export type {
  IdentityContext,
  IdentityUser,
  Permission,
  Resource,
  TenantMembership,
} from '@gatehouse/policy';
export type {
  ApiClient,
  ApiError,
  ForbiddenError,
  NotFoundError,
  RemoteContext,
  RemoteLifecycle,
  RouteInfo,
  UnauthenticatedError,
} from '@gatehouse/remote';
export type {
  AuthState,
  AuthStatus,
  ReadonlyAuthStore,
  Shell,
  Telemetry,
  TelemetryEvent,
} from '@gatehouse/shell';
export { Can, type CanProps } from './can.js';
export { defineReactRemote, type ReactRemoteOptions } from './define-react-remote.js';
export {
  RemoteErrorBoundary,
  type RemoteErrorBoundaryProps,
  type RemoteErrorFallbackProps,
  type RemoteErrorKind,
  remoteErrorKind,
} from './error-boundary.js';
export { GatehouseReactError, type ReactErrorCode } from './errors.js';
export {
  useApi,
  useAuthState,
  useCan,
  useIdentity,
  useLogin,
  useRemoteContext,
  useShell,
} from './hooks.js';
export type { TelemetrySink } from './lib/binding.js';
export { GatehouseProvider, type GatehouseProviderProps } from './provider.js';
export { RequireAuth, type RequireAuthProps } from './require-auth.js';
export { DefaultView, type ReactViewKind } from './views.js';
