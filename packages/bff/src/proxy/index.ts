export { ApiProxy } from './api-proxy.js';
export { type HeldConnection, LongLivedConnections, type LongLivedLimits } from './long-lived.js';
export type { ProxyStats } from './reporter.js';
export { isApiTarget } from './upstreams.js';
