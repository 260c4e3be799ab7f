export {
  type BffClientOptions,
  bffClient,
  DEFAULT_BFF_URL,
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  type DevIdpClient,
} from './clients.js';
export { createDevIdp, type DevIdp } from './create-dev-idp.js';
export { DevIdpError, type DevIdpErrorCode } from './errors.js';
export {
  ACCESS_TOKEN_TYPE,
  CLIENT_GRANT_TYPES,
  type ClientGrantType,
  TOKEN_EXCHANGE_GRANT,
} from './grants.js';
export type { DevIdpTransmitter, SsfEvent, SsfPushResult, SsfReceiver } from './lib/transmitter.js';
export {
  DEFAULT_AUDIENCE,
  DEFAULT_AUDIENCE_SCOPE,
  type DevIdpAudience,
  type DevIdpOptions,
  type DevIdpTtl,
  shopServiceAudiences,
} from './options.js';
export { DEFAULT_SECURITY_CODE, type DevIdpTenant, type DevIdpUser, demoUsers, devIdpAcr } from './users.js';
