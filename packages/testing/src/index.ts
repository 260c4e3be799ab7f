export {
  API_HEADERS,
  NAVIGATION_HEADERS,
  readForm,
  TestBrowser,
  type TestRequest,
  type TestResponse,
} from './browser.js';
export { CHROMIUM_ARGS, launchChromium } from './chromium.js';
export { findJwts } from './jwt.js';
export {
  type LemonLdap,
  type LemonLdapClient,
  type LemonLdapOptions,
  lemonLdapMissing,
  startLemonLdap,
} from './lemonldap.js';
export { freePort } from './ports.js';
export {
  type RedisCluster,
  type RedisClusterOptions,
  type RedisNode,
  type RedisSentinelSetup,
  type RedisServer,
  redisServerMissing,
  startRedisCluster,
  startRedisSentinel,
  startRedisServer,
} from './redis-servers.js';
export { demoRoleMaps, demoRolePermissions, demoTenantRolePermissions } from './roles.js';
export {
  chromiumPath,
  describeWith,
  nginxPath,
  postgresUrl,
  redisUrl,
  type Service,
  serviceMissing,
  servicesRequired,
  webkitMissing,
} from './services.js';
export { endIdpSession, type SignInOptions, signIn } from './sign-in.js';
