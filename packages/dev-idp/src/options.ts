import * as T from 'typebox';
import { bffClient, DEFAULT_BFF_URL, type DevIdpClient } from './clients.js';
import { DevIdpError } from './errors.js';
import { CLIENT_GRANT_TYPES, TOKEN_EXCHANGE_GRANT } from './grants.js';
import {
  checkSchema,
  deepFreeze,
  duplicates,
  isPlainHttpUrl,
  isRecord,
  SCOPE_PATTERN,
  Text,
} from './lib/option-schema.js';
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
  /**
   * API audiences; the first is the default resource. Default `urn:gatehouse:shop`, then the shop's
   * per-service audiences ({@link shopServiceAudiences}).
   */
  readonly audiences?: readonly DevIdpAudience[];
  /** Users who can sign in; default {@link demoUsers}. */
  readonly users?: readonly DevIdpUser[];
  /**
   * The algorithm of ID tokens, JWT access tokens and logout tokens: `RS256` (default) or `ES256`. Both keys
   * are always published; this picks which one signs.
   */
  readonly signingAlg?: 'RS256' | 'ES256';
  /**
   * Whether every refresh issues a new refresh token (rotation; presenting a rotated one revokes the grant).
   * Default `true`. `false` returns the same refresh token on every refresh, as many issuers do, to test
   * relying parties against both.
   */
  readonly rotateRefreshTokens?: boolean;
  /**
   * DPoP (RFC 9449): a token request with a proof gets a bound token (`token_type` DPoP). Default `true`.
   * `false` ignores proofs and issues bearer tokens, as an issuer without DPoP does.
   */
  readonly dpop?: boolean;
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
  readonly signingAlg: 'RS256' | 'ES256';
  readonly dpop: boolean;
}

/** The default API audience (resource indicator) of the reference shop. */
export const DEFAULT_AUDIENCE = 'urn:gatehouse:shop';

/**
 * One audience per service of the reference shop (RFC 8707 resource indicators): a token for one of them is
 * refused by every other service. The dev IdP serves them all by default, after {@link DEFAULT_AUDIENCE}.
 */
export const shopServiceAudiences = Object.freeze({
  catalog: 'urn:gatehouse:shop:catalog',
  cart: 'urn:gatehouse:shop:cart',
  checkout: 'urn:gatehouse:shop:checkout',
  orders: 'urn:gatehouse:shop:orders',
  profile: 'urn:gatehouse:shop:profile',
  org: 'urn:gatehouse:shop:org',
} as const);
/** The audiences served unless configured otherwise: the default one, then each shop service's. */
const DEFAULT_AUDIENCES: readonly DevIdpAudience[] = [
  DEFAULT_AUDIENCE,
  ...Object.values(shopServiceAudiences),
].map((resource) => ({ resource }));

/** Scopes an audience accepts unless configured otherwise. */
export const DEFAULT_AUDIENCE_SCOPE = 'openid profile email offline_access';

const EIGHT_HOURS = 8 * 60 * 60;
const MAX_TTL = 366 * 24 * 60 * 60;
/** The longest authorization code ASVS 10.4.3 allows. */
const MAX_CODE_TTL = 600;

const Seconds = T.Optional(T.Integer({ minimum: 1, maximum: MAX_TTL }));

const ClientSchema = T.Object(
  {
    client_id: Text(),
    client_secret: T.Optional(Text(1024)),
    client_name: T.Optional(Text()),
    /** URL rules (http(s), no fragment, no credentials) are checked by `semanticProblems`. */
    redirect_uris: T.Array(T.String(), { minItems: 1 }),
    post_logout_redirect_uris: T.Optional(T.Array(T.String())),
    backchannel_logout_uri: T.Optional(T.String()),
    backchannel_logout_session_required: T.Optional(T.Boolean()),
    grant_types: T.Optional(T.Array(T.Enum(CLIENT_GRANT_TYPES))),
    token_endpoint_auth_method: T.Optional(
      T.Enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt']),
    ),
    jwks_uri: T.Optional(T.String()),
    jwks: T.Optional(T.Object({ keys: T.Array(T.Record(T.String(), T.Unknown()), { minItems: 1 }) })),
    subject_type: T.Optional(T.Enum(['public', 'pairwise'])),
    id_token_encrypted_response_alg: T.Optional(T.Enum(['RSA-OAEP', 'RSA-OAEP-256', 'ECDH-ES'])),
  },
  { additionalProperties: false },
);

const UserSchema = T.Object(
  {
    login: Text(),
    password: T.Optional(Text()),
    securityCode: T.Optional(Text(64)),
    sub: Text(),
    name: Text(),
    email: Text(),
    emailVerified: T.Optional(T.Boolean()),
    roles: T.Array(Text(128)),
    tenants: T.Array(T.Object({ id: Text(128), roles: T.Array(Text(128)) }, { additionalProperties: false })),
    locale: Text(),
    currency: Text(),
  },
  { additionalProperties: false },
);

const AudienceSchema = T.Object(
  {
    resource: T.String(),
    scope: T.Optional(T.String({ pattern: SCOPE_PATTERN })),
  },
  { additionalProperties: false },
);

/** JSON schema of {@link DevIdpOptions}; what a schema cannot say is checked by `semanticProblems`. */
const OptionsSchema = T.Object(
  {
    port: T.Integer({ minimum: 0, maximum: 65_535, default: 4001 }),
    host: T.String({ ...Text(), default: '127.0.0.1' }),
    issuer: T.Optional(T.String()),
    clients: T.Optional(T.Array(ClientSchema, { minItems: 1 })),
    ttl: T.Optional(
      T.Object(
        {
          AccessToken: Seconds,
          RefreshToken: Seconds,
          IdToken: Seconds,
          Session: Seconds,
          Grant: Seconds,
          Interaction: Seconds,
          AuthorizationCode: Seconds,
        },
        { additionalProperties: false },
      ),
    ),
    audiences: T.Optional(T.Array(AudienceSchema, { minItems: 1 })),
    users: T.Optional(T.Array(UserSchema, { minItems: 1 })),
    rotateRefreshTokens: T.Boolean({ default: true }),
    signingAlg: T.Enum(['RS256', 'ES256'], { default: 'RS256' }),
    dpop: T.Boolean({ default: true }),
  },
  { additionalProperties: false },
);

/** Each item of `value` that is an object, with its index (the schema reports the others). */
const records = (value: unknown): Array<[number, Record<string, unknown>]> =>
  Array.isArray(value)
    ? [...value.entries()].filter((entry): entry is [number, Record<string, unknown>] => isRecord(entry[1]))
    : [];

/** Problems no JSON schema states: URL forms, duplicates, the authorization code's limit. */
function semanticProblems(options: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const { issuer, clients, ttl, audiences, users } = options;
  if (typeof issuer === 'string') {
    const url = URL.parse(issuer);
    if (!url || url.origin !== issuer || !isPlainHttpUrl(issuer)) {
      problems.push(
        'issuer: must be an http(s) origin without path or trailing slash, e.g. http://localhost:4001',
      );
    }
  }
  const url = (value: unknown, path: string) => {
    if (typeof value === 'string' && !isPlainHttpUrl(value))
      problems.push(`${path}: must be an absolute http(s) URL without fragment or credentials`);
  };
  for (const [index, client] of records(clients)) {
    const path = `clients[${index}]`;
    for (const key of ['redirect_uris', 'post_logout_redirect_uris'] as const) {
      const list = client[key];
      if (Array.isArray(list)) for (const [n, item] of list.entries()) url(item, `${path}.${key}[${n}]`);
    }
    url(client.backchannel_logout_uri, `${path}.backchannel_logout_uri`);
    url(client.jwks_uri, `${path}.jwks_uri`);
    const keyed = client.jwks_uri !== undefined || client.jwks !== undefined;
    if (client.token_endpoint_auth_method === 'private_key_jwt') {
      if (!keyed) problems.push(`${path}: private_key_jwt needs jwks_uri or jwks`);
    } else if (client.client_secret === undefined) {
      problems.push(`${path}.client_secret: required (only confidential clients are accepted)`);
    }
    if (client.id_token_encrypted_response_alg !== undefined && !keyed)
      problems.push(`${path}: id_token_encrypted_response_alg needs jwks_uri or jwks`);
    if (Array.isArray(client.grant_types) && !client.grant_types.includes('authorization_code'))
      problems.push(
        `${path}.grant_types: must hold 'authorization_code' (and may hold 'refresh_token' and '${TOKEN_EXCHANGE_GRANT}')`,
      );
  }
  if (isRecord(ttl) && typeof ttl.AuthorizationCode === 'number' && ttl.AuthorizationCode > MAX_CODE_TTL)
    problems.push(`ttl.AuthorizationCode: must be at most ${MAX_CODE_TTL} s (ASVS 10.4.3)`);
  for (const [index, audience] of records(audiences)) {
    const resource = audience.resource;
    if (typeof resource !== 'string') continue;
    const parsed = URL.parse(resource);
    if (!parsed || parsed.hash || parsed.href !== resource)
      problems.push(
        `audiences[${index}].resource: must be an absolute URI without fragment, in normalised form`,
      );
  }
  const repeated = (list: unknown, key: string, what: string) => {
    const values = records(list)
      .map(([, item]) => item[key])
      .filter((value) => typeof value === 'string');
    for (const value of duplicates(values))
      problems.push(`${what}: ${key} ${String(value)} appears more than once`);
  };
  repeated(clients, 'client_id', 'clients');
  repeated(audiences, 'resource', 'audiences');
  repeated(users, 'login', 'users');
  repeated(users, 'sub', 'users');
  return problems;
}

/** Lifetimes with every default applied: the grant outlives the refresh token it carries. */
function resolveTtl(ttl: DevIdpTtl = {}): Required<DevIdpTtl> {
  const refreshToken = ttl.RefreshToken ?? EIGHT_HOURS;
  return {
    AccessToken: ttl.AccessToken ?? 300,
    RefreshToken: refreshToken,
    IdToken: ttl.IdToken ?? 300,
    Session: ttl.Session ?? EIGHT_HOURS,
    Grant: ttl.Grant ?? Math.max(EIGHT_HOURS, refreshToken),
    Interaction: ttl.Interaction ?? 600,
    AuthorizationCode: ttl.AuthorizationCode ?? 60,
  };
}

/**
 * Validates the options once, at the boundary, against a TypeBox schema (defaults, no unknown keys) and the
 * rules a schema cannot state: every problem is collected into one `GH_DEV_IDP_OPTIONS_INVALID` error.
 * Returns the options with defaults applied, deep-frozen.
 */
export function resolveOptions(input: unknown): ResolvedDevIdpOptions {
  const options = input === undefined ? {} : input;
  if (!isRecord(options)) {
    throw new DevIdpError('GH_DEV_IDP_OPTIONS_INVALID', 'invalid dev IdP options: must be an object', {
      problems: ['options: must be an object'],
    });
  }
  const early: string[] = [];
  let given = options;
  if (isRecord(options.ttl) && 'LogoutToken' in options.ttl) {
    // Said plainly rather than as an unknown option: oidc-provider has the setting but will not take it.
    early.push('ttl.LogoutToken: fixed at 120 s by oidc-provider 9 (Back-Channel Logout: at most 2 min)');
    const { LogoutToken: _fixed, ...ttl } = options.ttl;
    given = { ...options, ttl };
  }
  const { value, problems } = checkSchema(OptionsSchema, given, {
    client_secret: 'only confidential clients are accepted',
  });
  problems.unshift(...early);
  problems.push(...semanticProblems(value));
  if (problems.length > 0) {
    throw new DevIdpError('GH_DEV_IDP_OPTIONS_INVALID', `invalid dev IdP options: ${problems.join('; ')}`, {
      problems,
    });
  }
  const valid = value as T.Static<typeof OptionsSchema>;
  return deepFreeze({
    port: valid.port,
    host: valid.host,
    issuer: valid.issuer,
    clients: (valid.clients as DevIdpClient[] | undefined) ?? [bffClient({ baseUrl: DEFAULT_BFF_URL })],
    ttl: resolveTtl(valid.ttl),
    audiences: (valid.audiences ?? DEFAULT_AUDIENCES).map((audience: DevIdpAudience) => ({
      resource: audience.resource,
      scope: audience.scope ?? DEFAULT_AUDIENCE_SCOPE,
    })),
    users: (valid.users as DevIdpUser[] | undefined) ?? [...demoUsers],
    rotateRefreshTokens: valid.rotateRefreshTokens,
    signingAlg: valid.signingAlg,
    dpop: valid.dpop,
  });
}
