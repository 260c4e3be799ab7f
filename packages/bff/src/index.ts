export {
  type BffConfig,
  type BffOptions,
  BffOptionsSchema,
  ConfigError,
  type RouteRule,
  resolveConfig,
  type UpstreamConfig,
} from './config.js';
export { CookieJar, type CookieSession } from './cookies.js';
export { type CsrfVerdict, checkCsrf, checkResourceIsolation, isNavigation } from './csrf.js';
export { ENVIRONMENT_VARIABLES, optionsFromEnv, parseUpstreams } from './env.js';
export {
  BffError,
  type BffErrorCode,
  bffErrorCodes,
  type ProblemCode,
  StoreUnavailableError,
} from './errors.js';
export {
  MemorySessionEventBus,
  RedisSessionEventBus,
  type SessionEvent,
  type SessionEventBus,
  sessionChannelKey,
} from './events.js';
export { DEFAULT_FORWARDED_HEADERS, isReservedHeader } from './forwarded-headers.js';
export { createLogger, REDACTED_PATHS } from './logger.js';
export { type ManifestSource, readSignedManifest, SignedManifest } from './manifest.js';
export { BffMetrics, serveMetrics } from './metrics.js';
export { type IdTokenClaims, type IssuedTokens, type LogoutTokenSubject, OidcClient } from './oidc.js';
export {
  defaultPage,
  htmlHeaders,
  identityScript,
  newNonce,
  type PageRenderer,
  type PageSecurity,
} from './pages.js';
export { type GatehouseBffPluginOptions, gatehouseBff } from './plugin.js';
export { type Problem, problem } from './problem.js';
export { ApiProxy, type ProxyStats } from './proxy/index.js';
export { PushChannel, type PushLimits } from './push.js';
export { RequestSession, type SessionLookup } from './request-session.js';
export { safeReturnTo } from './return-to.js';
export { type RouteAuth, RouteTable } from './route-table.js';
export { createRuntime, type GatehouseRuntime, type OwnedRuntime, type RuntimeOptions } from './runtime.js';
export { type BffServer, type BffServerOptions, createBffServer, startBff } from './server.js';
export * from './session/index.js';
export {
  type ActiveSession,
  type EndReason,
  SessionEndedError,
  SessionManager,
  sessionRef,
} from './sessions.js';
export { createSessionStore } from './store.js';
export {
  readTelemetry,
  TelemetryBatchSchema,
  type TelemetryEvent,
  TelemetryEventSchema,
} from './telemetry.js';
