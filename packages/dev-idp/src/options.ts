import { bffClient, DEFAULT_BFF_URL, type DevIdpClient } from './clients.js';
import { DevIdpError } from './errors.js';
import { type DevIdpUser, demoUsers } from './users.js';

/** Lifetimes in seconds (positive integers). */
export interface DevIdpTtl {
  /** Access token (JWT for the audience); default 300. */
  readonly AccessToken?: number;
  /** Refresh token: absolute lifetime of the rotation family, counted from the first issue; default 28800 (8 h). */
  readonly RefreshToken?: number;
  /** ID token; default 300. */
  readonly IdToken?: number;
  /** The IdP's own login session; default 28800 (8 h). */
  readonly Session?: number;
  /** Grant (what the user consented to); default the larger of 28800 and `RefreshToken`. */
  readonly Grant?: number;
  /** A login interaction (the login page); default 600. */
  readonly Interaction?: number;
  /** Authorization code; default 60, at most 600. */
  readonly AuthorizationCode?: number;
}

/** A resource server (API audience, RFC 8707) for which JWT access tokens are issued. */
export interface DevIdpAudience {
  /** The resource indicator; it becomes the access token's `aud`. */
  readonly resource: string;
  /** Scopes the resource server accepts; default `openid profile email offline_access`. */
  readonly scope?: string;
}

/** Options of {@link createDevIdp}; every one is optional and unknown keys are refused. */
export interface DevIdpOptions {
  /** Listening port; default 4001; `0` picks a free one (the issuer then uses the real port). */
  readonly port?: number;
  /** Listening address; default `127.0.0.1`. */
  readonly host?: string;
  /** Issuer identifier (an origin, no path); default `http://localhost:<port>`. */
  readonly issuer?: string;
  /** Registered clients; default one: `bffClient({ baseUrl: 'http://localhost:4000' })`. */
  readonly clients?: readonly DevIdpClient[];
  /** Token and session lifetimes in seconds. */
  readonly ttl?: DevIdpTtl;
  /** API audiences; the first is the default resource. Default `[{ resource: 'urn:gatehouse:shop' }]`. */
  readonly audiences?: readonly DevIdpAudience[];
  /** Users who can sign in; default {@link demoUsers}. */
  readonly users?: readonly DevIdpUser[];
  /**
   * Whether every refresh issues a new refresh token (rotation; presenting a rotated one revokes the grant).
   * Default `true`. `false` returns the same refresh token on every refresh, as many issuers do, to test
   * relying parties against both.
   */
  readonly rotateRefreshTokens?: boolean;
}

/** The validated options with every default applied. */
export interface ResolvedDevIdpOptions {
  readonly port: number;
  readonly host: string;
  readonly issuer: string | undefined;
  readonly clients: readonly DevIdpClient[];
  readonly ttl: Required<DevIdpTtl>;
  readonly audiences: readonly Required<DevIdpAudience>[];
  readonly users: readonly DevIdpUser[];
  readonly rotateRefreshTokens: boolean;
}

/** The default API audience (resource indicator) of the reference shop. */
export const DEFAULT_AUDIENCE = 'urn:gatehouse:shop';
/** Scopes an audience accepts unless configured otherwise. */
export const DEFAULT_AUDIENCE_SCOPE = 'openid profile email offline_access';

const EIGHT_HOURS = 8 * 60 * 60;
const MAX_TTL = 366 * 24 * 60 * 60;
const OPTION_KEYS = ['port', 'host', 'issuer', 'clients', 'ttl', 'audiences', 'users', 'rotateRefreshTokens'];
const TTL_KEYS = [
  'AccessToken',
  'RefreshToken',
  'IdToken',
  'Session',
  'Grant',
  'Interaction',
  'AuthorizationCode',
];
const CLIENT_KEYS = [
  'client_id',
  'client_secret',
  'client_name',
  'redirect_uris',
  'post_logout_redirect_uris',
  'backchannel_logout_uri',
  'backchannel_logout_session_required',
  'grant_types',
  'token_endpoint_auth_method',
];
const USER_KEYS = [
  'login',
  'password',
  'sub',
  'name',
  'email',
  'emailVerified',
  'roles',
  'tenants',
  'locale',
  'currency',
];
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const hasControl = (value: string) =>
  [...value].some((char) => {
    const code = char.charCodeAt(0);
    return code < 0x20 || code === 0x7f;
  });

const isText = (value: unknown, max = 256): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= max && !hasControl(value);

function unknownKeys(
  value: Record<string, unknown>,
  allowed: readonly string[],
  path: string,
  problems: string[],
) {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) problems.push(`${path}${key}: unknown option`);
  }
}

function checkUrl(value: unknown, path: string, problems: string[]): void {
  const url = typeof value === 'string' ? URL.parse(value) : null;
  if (
    !url ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.hash ||
    url.username ||
    url.password
  ) {
    problems.push(`${path}: must be an absolute http(s) URL without fragment or credentials`);
  }
}

function checkUrlList(value: unknown, path: string, problems: string[], required: boolean): void {
  if (value === undefined && !required) return;
  if (!Array.isArray(value) || (required && value.length === 0)) {
    problems.push(`${path}: must be ${required ? 'a non-empty' : 'an'} array of URLs`);
    return;
  }
  for (const [index, item] of value.entries()) checkUrl(item, `${path}[${index}]`, problems);
}

function checkClient(client: unknown, path: string, problems: string[]): void {
  if (!isRecord(client)) {
    problems.push(`${path}: must be an object`);
    return;
  }
  unknownKeys(client, CLIENT_KEYS, `${path}.`, problems);
  if (!isText(client.client_id)) problems.push(`${path}.client_id: must be a non-empty string`);
  if (!isText(client.client_secret, 1024)) {
    problems.push(
      `${path}.client_secret: must be a non-empty string (only confidential clients are accepted)`,
    );
  }
  if (client.client_name !== undefined && !isText(client.client_name)) {
    problems.push(`${path}.client_name: must be a non-empty string`);
  }
  checkUrlList(client.redirect_uris, `${path}.redirect_uris`, problems, true);
  checkUrlList(client.post_logout_redirect_uris, `${path}.post_logout_redirect_uris`, problems, false);
  if (client.backchannel_logout_uri !== undefined) {
    checkUrl(client.backchannel_logout_uri, `${path}.backchannel_logout_uri`, problems);
  }
  if (
    client.backchannel_logout_session_required !== undefined &&
    typeof client.backchannel_logout_session_required !== 'boolean'
  ) {
    problems.push(`${path}.backchannel_logout_session_required: must be a boolean`);
  }
  if (
    client.grant_types !== undefined &&
    (!Array.isArray(client.grant_types) ||
      !client.grant_types.includes('authorization_code') ||
      client.grant_types.some((grant) => grant !== 'authorization_code' && grant !== 'refresh_token'))
  ) {
    problems.push(`${path}.grant_types: must hold 'authorization_code' and may hold 'refresh_token'`);
  }
  if (
    client.token_endpoint_auth_method !== undefined &&
    client.token_endpoint_auth_method !== 'client_secret_basic' &&
    client.token_endpoint_auth_method !== 'client_secret_post'
  ) {
    problems.push(
      `${path}.token_endpoint_auth_method: must be 'client_secret_basic' or 'client_secret_post'`,
    );
  }
}

function checkUser(user: unknown, path: string, problems: string[]): void {
  if (!isRecord(user)) {
    problems.push(`${path}: must be an object`);
    return;
  }
  unknownKeys(user, USER_KEYS, `${path}.`, problems);
  for (const key of ['login', 'sub', 'name', 'email', 'locale', 'currency'] as const) {
    if (!isText(user[key])) problems.push(`${path}.${key}: must be a non-empty string`);
  }
  if (user.password !== undefined && !isText(user.password)) {
    problems.push(`${path}.password: must be a non-empty string`);
  }
  if (user.emailVerified !== undefined && typeof user.emailVerified !== 'boolean') {
    problems.push(`${path}.emailVerified: must be a boolean`);
  }
  if (!Array.isArray(user.roles) || !user.roles.every((role) => isText(role, 128))) {
    problems.push(`${path}.roles: must be an array of role names`);
  }
  if (
    !Array.isArray(user.tenants) ||
    !user.tenants.every(
      (tenant) =>
        isRecord(tenant) &&
        isText(tenant.id, 128) &&
        Array.isArray(tenant.roles) &&
        tenant.roles.every((role) => isText(role, 128)) &&
        Object.keys(tenant).every((key) => key === 'id' || key === 'roles'),
    )
  ) {
    problems.push(`${path}.tenants: must be an array of { id, roles }`);
  }
}

function checkAudience(audience: unknown, path: string, problems: string[]): void {
  if (!isRecord(audience)) {
    problems.push(`${path}: must be an object`);
    return;
  }
  unknownKeys(audience, ['resource', 'scope'], `${path}.`, problems);
  const url = typeof audience.resource === 'string' ? URL.parse(audience.resource) : null;
  if (!url || url.hash || url.href !== audience.resource) {
    problems.push(`${path}.resource: must be an absolute URI without fragment, in normalised form`);
  }
  if (
    audience.scope !== undefined &&
    (typeof audience.scope !== 'string' ||
      !audience.scope.split(' ').every((token) => SCOPE_TOKEN.test(token)))
  ) {
    problems.push(`${path}.scope: must be space-separated scope tokens`);
  }
}

function duplicates(values: readonly unknown[]): unknown[] {
  return values.filter((value, index) => values.indexOf(value) !== index);
}

/**
 * Validates the options once, at the boundary: every problem is collected into one
 * `GH_DEV_IDP_OPTIONS_INVALID` error. Returns the options with defaults applied, frozen.
 */
export function resolveOptions(input: unknown): ResolvedDevIdpOptions {
  const problems: string[] = [];
  const options = input === undefined ? {} : input;
  if (!isRecord(options)) {
    throw new DevIdpError('GH_DEV_IDP_OPTIONS_INVALID', 'invalid dev IdP options: must be an object', {
      problems: ['options: must be an object'],
    });
  }
  unknownKeys(options, OPTION_KEYS, '', problems);

  const { port, host, issuer, clients, ttl, audiences, users, rotateRefreshTokens } = options;
  if (rotateRefreshTokens !== undefined && typeof rotateRefreshTokens !== 'boolean') {
    problems.push('rotateRefreshTokens: must be true or false');
  }
  if (port !== undefined && (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65_535)) {
    problems.push('port: must be an integer from 0 to 65535');
  }
  if (host !== undefined && !isText(host)) problems.push('host: must be a non-empty string');
  if (issuer !== undefined) {
    const url = typeof issuer === 'string' ? URL.parse(issuer) : null;
    if (
      !url ||
      (url.protocol !== 'http:' && url.protocol !== 'https:') ||
      url.origin !== issuer ||
      url.username ||
      url.password
    ) {
      problems.push(
        'issuer: must be an http(s) origin without path or trailing slash, e.g. http://localhost:4001',
      );
    }
  }

  if (clients !== undefined) {
    if (!Array.isArray(clients) || clients.length === 0) problems.push('clients: must be a non-empty array');
    else {
      for (const [index, client] of clients.entries()) checkClient(client, `clients[${index}]`, problems);
      for (const id of duplicates(
        clients.map((client) => (isRecord(client) ? client.client_id : undefined)),
      )) {
        problems.push(`clients: client_id ${String(id)} appears more than once`);
      }
    }
  }

  if (ttl !== undefined) {
    if (!isRecord(ttl)) problems.push('ttl: must be an object');
    else {
      for (const [key, value] of Object.entries(ttl)) {
        if (key === 'LogoutToken') {
          problems.push(
            'ttl.LogoutToken: fixed at 120 s by oidc-provider 9 (Back-Channel Logout: at most 2 min)',
          );
        } else if (!TTL_KEYS.includes(key)) {
          problems.push(`ttl.${key}: unknown option`);
        } else if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_TTL) {
          problems.push(`ttl.${key}: must be a whole number of seconds from 1 to ${MAX_TTL}`);
        }
      }
      if (typeof ttl.AuthorizationCode === 'number' && ttl.AuthorizationCode > 600) {
        problems.push('ttl.AuthorizationCode: must be at most 600 s (ASVS 10.4.3)');
      }
    }
  }

  if (audiences !== undefined) {
    if (!Array.isArray(audiences) || audiences.length === 0)
      problems.push('audiences: must be a non-empty array');
    else {
      for (const [index, audience] of audiences.entries())
        checkAudience(audience, `audiences[${index}]`, problems);
      for (const resource of duplicates(audiences.map((a) => (isRecord(a) ? a.resource : undefined)))) {
        problems.push(`audiences: resource ${String(resource)} appears more than once`);
      }
    }
  }

  if (users !== undefined) {
    if (!Array.isArray(users) || users.length === 0) problems.push('users: must be a non-empty array');
    else {
      for (const [index, user] of users.entries()) checkUser(user, `users[${index}]`, problems);
      for (const key of ['login', 'sub'] as const) {
        for (const value of duplicates(users.map((user) => (isRecord(user) ? user[key] : undefined)))) {
          problems.push(`users: ${key} ${String(value)} appears more than once`);
        }
      }
    }
  }

  if (problems.length > 0) {
    throw new DevIdpError('GH_DEV_IDP_OPTIONS_INVALID', `invalid dev IdP options: ${problems.join('; ')}`, {
      problems,
    });
  }

  const ttlInput = (ttl ?? {}) as DevIdpTtl;
  const refreshToken = ttlInput.RefreshToken ?? EIGHT_HOURS;
  const resolvedTtl: Required<DevIdpTtl> = Object.freeze({
    AccessToken: ttlInput.AccessToken ?? 300,
    RefreshToken: refreshToken,
    IdToken: ttlInput.IdToken ?? 300,
    Session: ttlInput.Session ?? EIGHT_HOURS,
    Grant: ttlInput.Grant ?? Math.max(EIGHT_HOURS, refreshToken),
    Interaction: ttlInput.Interaction ?? 600,
    AuthorizationCode: ttlInput.AuthorizationCode ?? 60,
  });

  return Object.freeze({
    port: (port as number | undefined) ?? 4001,
    host: (host as string | undefined) ?? '127.0.0.1',
    issuer: issuer as string | undefined,
    clients: Object.freeze([
      ...((clients as DevIdpClient[] | undefined) ?? [bffClient({ baseUrl: DEFAULT_BFF_URL })]),
    ]),
    ttl: resolvedTtl,
    audiences: Object.freeze(
      ((audiences as DevIdpAudience[] | undefined) ?? [{ resource: DEFAULT_AUDIENCE }]).map((audience) =>
        Object.freeze({ resource: audience.resource, scope: audience.scope ?? DEFAULT_AUDIENCE_SCOPE }),
      ),
    ),
    users: Object.freeze([...((users as DevIdpUser[] | undefined) ?? demoUsers)]),
    rotateRefreshTokens: (rotateRefreshTokens as boolean | undefined) ?? true,
  });
}
