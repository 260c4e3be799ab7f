export {
  followAuth,
  gatehouseApplication,
  gatehouseLifecycles,
  type SingleSpaHost,
  type SingleSpaLifecycles,
} from './adapter.js';
export { SingleSpaError, type SingleSpaErrorCode } from './errors.js';
