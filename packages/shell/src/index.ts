export type { LoginOptions, LoginOutcome, LoginPrompt } from '@gatehouse/policy';
export {
  type AnonymousIdentity,
  type AuthListener,
  type AuthState,
  type AuthStatus,
  type AuthStore,
  createAuthStore,
  type ReadonlyAuthStore,
  type SignedInIdentity,
} from './auth-store.js';
export { ShellError, type ShellErrorCode } from './errors.js';
export { type GuardDecision, guard } from './guard.js';
export { fetchIdentity, parseIdentity, readInlineIdentity, type ShellFetch } from './identity.js';
export {
  createRemoteLoader,
  pinModules,
  type RemoteLoader,
  type RemoteLoaderOptions,
  withTimeout,
} from './loader.js';
export {
  type ManifestOptions,
  originOf,
  type RemoteManifest,
  routesFromManifests,
  validateManifest,
} from './manifest.js';
export {
  createRouteTable,
  type Route,
  type RouteAuth,
  type RouteDefinition,
  type RouteMatch,
  type RouteTable,
} from './routes.js';
export { createShell, type Shell, type ShellOptions } from './shell.js';
export { type AuthMessage, connectPush, connectTabs, type TabChannel } from './sync.js';
export { createTelemetry, type Telemetry, type TelemetryEvent, type TelemetryOptions } from './telemetry.js';
export { defaultView, type ViewInfo, type ViewKind, type ViewRenderer } from './views.js';
