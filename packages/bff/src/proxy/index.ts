export { ApiProxy } from './api-proxy.js';
export type { ProxyStats } from './reporter.js';
export { isApiTarget } from './upstreams.js';
