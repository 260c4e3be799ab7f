import { randomBytes } from 'node:crypto';
import { type Permission, permissionPattern, roleNamePattern } from '@gatehouse/policy';
import type { BffOptions } from './config.js';
import { ConfigError } from './config.js';

/** Environment variables the BFF reads (docs/http-contract.md#running-the-bff-on-its-own). */
export const ENVIRONMENT_VARIABLES = [
  'GATEHOUSE_ISSUER',
  'GATEHOUSE_CLIENT_ID',
  'GATEHOUSE_CLIENT_SECRET',
  'GATEHOUSE_TOKEN_AUTH_METHOD',
  'GATEHOUSE_CLIENT_KEY_FILE',
  'GATEHOUSE_CLIENT_KEY',
  'GATEHOUSE_DPOP',
  'GATEHOUSE_DPOP_KEY_FILE',
  'GATEHOUSE_SCOPES',
  'GATEHOUSE_LOGIN_ACR_VALUES',
  'GATEHOUSE_RESOURCE',
  'GATEHOUSE_PUBLIC_URL',
  'GATEHOUSE_PORT',
  'GATEHOUSE_HOST',
  'GATEHOUSE_UPSTREAMS',
  'GATEHOUSE_SESSION_SECRET',
  'REDIS_URL',
  'GATEHOUSE_REDIS_KEY_PREFIX',
  'GATEHOUSE_REDIS_CLUSTER',
  'GATEHOUSE_REDIS_SENTINEL',
  'GATEHOUSE_REDIS_WAIT_REPLICAS',
  'GATEHOUSE_WORKERS',
  'GATEHOUSE_METRICS_PORT',
  'GATEHOUSE_IDLE_TIMEOUT',
  'GATEHOUSE_ABSOLUTE_TIMEOUT',
  'GATEHOUSE_ROLES_CLAIM',
  'GATEHOUSE_ROLES',
  'GATEHOUSE_LOGOUT_ID_TOKEN_HINT',
  'GATEHOUSE_TENANT_ROLES',
  'GATEHOUSE_TENANT_TOKEN_PARAMETER',
  'GATEHOUSE_LOG_LEVEL',
  'GATEHOUSE_TRUST_PROXY',
  'GATEHOUSE_LOGIN_RATE_LIMIT',
  'GATEHOUSE_MAX_PENDING_LOGINS',
  'GATEHOUSE_MAX_SESSIONS_PER_USER',
  'GATEHOUSE_NATIVE_REDIRECT_URIS',
  'GATEHOUSE_SSF',
  'GATEHOUSE_SSF_ISSUER',
  'GATEHOUSE_SSF_JWKS_URI',
  'GATEHOUSE_SSF_AUDIENCE',
  'GATEHOUSE_SSF_AUTHORIZATION',
] as const;

/** A yes/no variable: `true`/`1` or `false`/`0`; anything else is a problem. */
const flag = (name: string, raw: string | undefined, problems: string[]): boolean | undefined => {
  if (raw === undefined) return undefined;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  problems.push(`${name}: expected true or false, got "${raw}"`);
  return undefined;
};

const UPSTREAM_FLAGS = new Set(['public', 'required', 'ws', 'sse']);

const integer = (name: string, raw: string, problems: string[]): number | undefined => {
  if (!/^\d{1,9}$/.test(raw.trim())) {
    problems.push(`${name}: expected a whole number, got "${raw}"`);
    return undefined;
  }
  return Number(raw.trim());
};

/**
 * Parses `GATEHOUSE_UPSTREAMS`: `name=url` pairs, comma-separated, each with optional `;` flags: `public` (or
 * `required`, the default) for its access, `ws` to accept WebSocket upgrades, `sse` for Server-Sent Events,
 * `headers=a+b` for request headers forwarded to it beyond the default allow-list, and either `resource=<uri>`
 * for the resource indicator (RFC 8707) whose token it gets (its own audience) or `exchange=<audience>` for
 * the audience its token is exchanged for (RFC 8693).
 *
 * @example
 * parseUpstreams('catalog=http://127.0.0.1:4101;public,orders=http://127.0.0.1:4104;headers=x-api-version,live=http://127.0.0.1:4105;ws;sse')
 * parseUpstreams('orders=http://127.0.0.1:4104;resource=urn:shop:orders,catalog=http://127.0.0.1:4101;public;resource=urn:shop:catalog')
 * parseUpstreams('billing=https://billing.internal;exchange=billing-api')
 */
export function parseUpstreams(raw: string, problems: string[] = []): NonNullable<BffOptions['upstreams']> {
  const upstreams: NonNullable<BffOptions['upstreams']> = {};
  for (const entry of raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const match =
      /^([a-z0-9][a-z0-9-]{0,62})=([^;\s]+)((?:;(?:[a-z]+|headers=[A-Za-z0-9+-]+|(?:resource|exchange)=[^;,\s]+))*)$/.exec(
        entry,
      );
    const flags = match?.[3]?.split(';').slice(1) ?? [];
    const headers = flags.filter((flag) => flag.startsWith('headers='));
    const resources = flags.filter((flag) => flag.startsWith('resource='));
    const exchanges = flags.filter((flag) => flag.startsWith('exchange='));
    const named = flags.filter((flag) => !flag.includes('='));
    const unknown = named.find((flag) => !UPSTREAM_FLAGS.has(flag));
    if (
      !match ||
      unknown !== undefined ||
      new Set(named).size !== named.length ||
      headers.length > 1 ||
      resources.length + exchanges.length > 1
    ) {
      problems.push(
        `GATEHOUSE_UPSTREAMS: "${entry}" is not name=url with flags from ;public ;required ;ws ;sse ;headers=a+b and one of ;resource=<uri> ;exchange=<audience>`,
      );
      continue;
    }
    const [, name, url] = match as unknown as [string, string, string];
    if (named.includes('public') && named.includes('required'))
      problems.push(`GATEHOUSE_UPSTREAMS: "${name}" is both public and required`);
    if (Object.hasOwn(upstreams, name)) problems.push(`GATEHOUSE_UPSTREAMS: "${name}" is listed twice`);
    upstreams[name] = {
      url,
      access: named.includes('public') ? 'public' : 'required',
      ...(named.includes('ws') ? { websocket: true } : {}),
      ...(named.includes('sse') ? { sse: true } : {}),
      ...(headers[0] ? { forwardHeaders: headers[0].slice(8).split('+').filter(Boolean) } : {}),
      ...(resources[0] ? { resource: resources[0].slice('resource='.length) } : {}),
      ...(exchanges[0] ? { exchange: exchanges[0].slice('exchange='.length) } : {}),
    };
  }
  return upstreams;
}

const PERMISSION = new RegExp(permissionPattern);
const ROLE = new RegExp(roleNamePattern);

/**
 * Parses a role map from the environment (`GATEHOUSE_ROLES`, `GATEHOUSE_TENANT_ROLES`): `role=permission …`
 * entries separated by `;`, permissions separated by spaces or commas.
 *
 * @example
 * parseRoleMap('GATEHOUSE_ROLES', 'customer=orders:view profile:edit; support=orders:view_any')
 * // { customer: ['orders:view', 'profile:edit'], support: ['orders:view_any'] }
 */
export function parseRoleMap(
  name: string,
  raw: string,
  problems: string[] = [],
): NonNullable<BffOptions['roles']> {
  const map: Record<string, Permission[]> = {};
  for (const entry of raw
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const at = entry.indexOf('=');
    const role = entry.slice(0, at).trim();
    const permissions = entry
      .slice(at + 1)
      .split(/[\s,]+/)
      .filter(Boolean);
    if (at < 1 || !ROLE.test(role)) {
      problems.push(`${name}: "${entry}" is not role=permission …`);
      continue;
    }
    const bad = permissions.find((permission) => !PERMISSION.test(permission));
    if (bad !== undefined) problems.push(`${name}: "${bad}" of role ${role} is not <domain>:<action>`);
    else if (Object.hasOwn(map, role)) problems.push(`${name}: role ${role} is listed twice`);
    else map[role] = permissions as Permission[];
  }
  return map;
}

/**
 * Overlays the environment on options from a file: the environment wins. In development a missing
 * `GATEHOUSE_SESSION_SECRET` is generated (sessions then end when the process restarts); in production
 * (`NODE_ENV=production`) it is required.
 *
 * @example
 * const config = resolveConfig(optionsFromEnv(process.env, await readConfigFile(path)));
 */
export function optionsFromEnv(env: NodeJS.ProcessEnv, file: BffOptions = {}): BffOptions {
  const problems: string[] = [];
  const options: BffOptions = { ...file };
  const set = <K extends keyof BffOptions>(key: K, value: BffOptions[K] | undefined) => {
    if (value !== undefined) options[key] = value;
  };
  set('issuer', env.GATEHOUSE_ISSUER);
  set('clientId', env.GATEHOUSE_CLIENT_ID);
  set('clientSecret', env.GATEHOUSE_CLIENT_SECRET);
  set('tokenEndpointAuthMethod', env.GATEHOUSE_TOKEN_AUTH_METHOD as BffOptions['tokenEndpointAuthMethod']);
  if (env.GATEHOUSE_CLIENT_KEY_FILE !== undefined && env.GATEHOUSE_CLIENT_KEY !== undefined)
    problems.push('GATEHOUSE_CLIENT_KEY_FILE, GATEHOUSE_CLIENT_KEY: give one of them');
  else if (env.GATEHOUSE_CLIENT_KEY_FILE !== undefined)
    set('clientKey', { file: env.GATEHOUSE_CLIENT_KEY_FILE });
  else if (env.GATEHOUSE_CLIENT_KEY !== undefined) set('clientKey', { jwk: env.GATEHOUSE_CLIENT_KEY });
  const dpop = env.GATEHOUSE_DPOP;
  if (dpop === 'true' || dpop === '1') set('dpop', true);
  else if (dpop === 'false' || dpop === '0') set('dpop', false);
  else if (dpop !== undefined)
    problems.push(`GATEHOUSE_DPOP: ${JSON.stringify(dpop)} is not true, false, 1 or 0`);
  if (env.GATEHOUSE_DPOP_KEY_FILE !== undefined) set('dpopKey', { file: env.GATEHOUSE_DPOP_KEY_FILE });
  set('resource', env.GATEHOUSE_RESOURCE);
  set('publicUrl', env.GATEHOUSE_PUBLIC_URL?.replace(/\/+$/, ''));
  set('host', env.GATEHOUSE_HOST);
  set('redisUrl', env.REDIS_URL);
  set('redisKeyPrefix', env.GATEHOUSE_REDIS_KEY_PREFIX);
  set('redisSentinel', env.GATEHOUSE_REDIS_SENTINEL);
  set('rolesClaim', env.GATEHOUSE_ROLES_CLAIM);
  set('tenantTokenParameter', env.GATEHOUSE_TENANT_TOKEN_PARAMETER);
  set('logLevel', env.GATEHOUSE_LOG_LEVEL as BffOptions['logLevel']);
  if (env.GATEHOUSE_SCOPES !== undefined) set('scopes', env.GATEHOUSE_SCOPES.split(/[\s,]+/).filter(Boolean));
  if (env.GATEHOUSE_LOGIN_ACR_VALUES !== undefined)
    set('loginAcrValues', env.GATEHOUSE_LOGIN_ACR_VALUES.split(/[\s,]+/).filter(Boolean));
  if (env.GATEHOUSE_ROLES !== undefined)
    set('roles', parseRoleMap('GATEHOUSE_ROLES', env.GATEHOUSE_ROLES, problems));
  if (env.GATEHOUSE_TENANT_ROLES !== undefined)
    set('tenantRoles', parseRoleMap('GATEHOUSE_TENANT_ROLES', env.GATEHOUSE_TENANT_ROLES, problems));
  if (env.GATEHOUSE_UPSTREAMS !== undefined)
    set('upstreams', parseUpstreams(env.GATEHOUSE_UPSTREAMS, problems));
  for (const [name, key] of [
    ['GATEHOUSE_PORT', 'port'],
    ['GATEHOUSE_WORKERS', 'workers'],
    ['GATEHOUSE_METRICS_PORT', 'metricsPort'],
    ['GATEHOUSE_IDLE_TIMEOUT', 'idleTimeout'],
    ['GATEHOUSE_ABSOLUTE_TIMEOUT', 'absoluteTimeout'],
    ['GATEHOUSE_TRUST_PROXY', 'trustProxy'],
    ['GATEHOUSE_LOGIN_RATE_LIMIT', 'loginRateLimit'],
    ['GATEHOUSE_MAX_PENDING_LOGINS', 'maxPendingLogins'],
    ['GATEHOUSE_MAX_SESSIONS_PER_USER', 'maxSessionsPerUser'],
    ['GATEHOUSE_REDIS_WAIT_REPLICAS', 'redisWaitReplicas'],
  ] as const) {
    const raw = env[name];
    if (raw !== undefined) set(key, integer(name, raw, problems));
  }
  set('idTokenHint', flag('GATEHOUSE_LOGOUT_ID_TOKEN_HINT', env.GATEHOUSE_LOGOUT_ID_TOKEN_HINT, problems));
  set('redisCluster', flag('GATEHOUSE_REDIS_CLUSTER', env.GATEHOUSE_REDIS_CLUSTER, problems));
  if (env.GATEHOUSE_NATIVE_REDIRECT_URIS !== undefined) {
    options.nativeRedirectUris = env.GATEHOUSE_NATIVE_REDIRECT_URIS.split(',')
      .map((uri) => uri.trim())
      .filter(Boolean);
  }
  const sharedSignals = sharedSignalsFromEnv(env, problems);
  if (sharedSignals) options.sharedSignals = { ...options.sharedSignals, ...sharedSignals };
  const production = env.NODE_ENV === 'production';
  options.production = production || options.production === true;
  if (env.GATEHOUSE_SESSION_SECRET !== undefined) {
    options.sessionSecrets = env.GATEHOUSE_SESSION_SECRET.split(',').map((secret) => secret.trim());
  } else if (!options.sessionSecrets?.length) {
    if (options.production)
      problems.push('GATEHOUSE_SESSION_SECRET: required in production (32 characters or more)');
    else options.sessionSecrets = [randomBytes(32).toString('base64url')];
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return options;
}

/**
 * The Shared Signals receiver from `GATEHOUSE_SSF` (`true`: on, with the defaults) and its settings (any of
 * them turns it on); `undefined` when none is set or `GATEHOUSE_SSF` is false.
 */
function sharedSignalsFromEnv(env: NodeJS.ProcessEnv, problems: string[]): BffOptions['sharedSignals'] {
  const on = flag('GATEHOUSE_SSF', env.GATEHOUSE_SSF, problems);
  const audience = env.GATEHOUSE_SSF_AUDIENCE?.split(',')
    .map((value) => value.trim())
    .filter(Boolean);
  const settings = {
    ...(env.GATEHOUSE_SSF_ISSUER !== undefined ? { issuer: env.GATEHOUSE_SSF_ISSUER } : {}),
    ...(env.GATEHOUSE_SSF_JWKS_URI !== undefined ? { jwksUri: env.GATEHOUSE_SSF_JWKS_URI } : {}),
    ...(audience !== undefined ? { audience } : {}),
    ...(env.GATEHOUSE_SSF_AUTHORIZATION !== undefined
      ? { authorization: env.GATEHOUSE_SSF_AUTHORIZATION }
      : {}),
  };
  if (on === false) {
    if (Object.keys(settings).length > 0)
      problems.push('GATEHOUSE_SSF: false, but GATEHOUSE_SSF_* settings are given');
    return undefined;
  }
  return on || Object.keys(settings).length > 0 ? settings : undefined;
}
