export { FederationError, type FederationErrorCode } from './errors.js';
export {
  type FederatedLoaderOptions,
  type FederationHost,
  federatedLoader,
} from './loader.js';
export { type FederationGuardOptions, guardFederation } from './plugin.js';
