import { existsSync } from 'node:fs';
import {
  deepFreeze,
  optionProblems,
  type Permission,
  permissionPattern,
  type RolePermissionMap,
  roleNamePattern,
  upstreamNamePattern,
} from '@gatehouse/policy';
import * as T from 'typebox';
import Value from 'typebox/value';
import { BffError } from './errors.js';
import { isReservedHeader } from './forwarded-headers.js';
import { isRegistrableRedirect } from './native/redirect-uris.js';
import { redisTargetOf } from './session/redis-connection.js';

const Seconds = (defaultValue: number, minimum = 1) =>
  T.Integer({ minimum, maximum: 31_536_000, default: defaultValue });
const Path = T.String({ pattern: '^/[^\\s]*$', maxLength: 512 });
// Checked by the same pattern `isPermission` uses; typed as the policy's `Permission`.
const PermissionString = T.Unsafe<Permission>(T.String({ pattern: permissionPattern }));
const Permissions = T.Record(T.String({ pattern: roleNamePattern }), T.Array(PermissionString));

const UpstreamSchema = T.Object(
  {
    /** Base URL: `/api/<name>/<rest>` goes to `<url>/<rest>`. */
    url: T.String({ pattern: '^https?://[^\\s/?#]+(/[^\\s?#]*)?$' }),
    /** `public`: forwarded with no token when anonymous; `required`: a session is needed (401 otherwise). */
    access: T.Union([T.Literal('public'), T.Literal('required')], { default: 'required' }),
    /** Methods forwarded to this upstream; others get 405. */
    methods: T.Array(
      T.Union([
        T.Literal('GET'),
        T.Literal('HEAD'),
        T.Literal('POST'),
        T.Literal('PUT'),
        T.Literal('PATCH'),
        T.Literal('DELETE'),
      ]),
      {
        default: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
        minItems: 1,
      },
    ),
    /** Milliseconds to wait for the upstream's answer headers. */
    timeoutMs: T.Integer({ minimum: 100, maximum: 300_000, default: 30_000 }),
    /**
     * Opt in to WebSocket upgrades through `/api/<name>/…`: checked at the handshake (session, exact
     * `Origin`, Fetch Metadata), the bearer attached, then raw bytes piped both ways until the session ends.
     */
    websocket: T.Boolean({ default: false }),
    /**
     * Opt in to Server-Sent Events: a `GET` asking for `text/event-stream` is streamed with no buffering and
     * no timeout between events, and closed when the session ends.
     */
    sse: T.Boolean({ default: false }),
    /**
     * Request headers forwarded to this upstream beyond `DEFAULT_FORWARDED_HEADERS` (any case; compared
     * lower-cased). Never one the BFF sets or a hop-by-hop one (`Host`, `Authorization`, `Cookie`, `X-Forwarded-*`…).
     */
    forwardHeaders: T.Array(T.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9-]{0,63}$' }), {
      default: [],
      maxItems: 32,
    }),
    /**
     * The resource indicator (RFC 8707) of this upstream: it gets an access token of its own, for this
     * audience only, obtained with the session's refresh token (`resource` on the refresh grant) and cached
     * per session. Unset: the session's main token (the top-level `resource`, or the issuer's default).
     */
    resource: T.Optional(
      T.String({ minLength: 1, maxLength: 512, pattern: '^[A-Za-z][A-Za-z0-9+.-]*:[^\\s#]+$' }),
    ),
    /**
     * The audience (RFC 8693 `audience`) this upstream's token is exchanged for: for an issuer without
     * resource indicators (Keycloak's token exchange, say). The session's main token is traded at the token
     * endpoint for one of this audience only, cached per session and exchanged again when due; no refresh
     * token is spent. Not with `resource`.
     */
    exchange: T.Optional(T.String({ minLength: 1, maxLength: 512, pattern: '^[\\x21-\\x7e]+$' })),
  },
  { additionalProperties: false },
);

const RouteSchema = T.Object(
  {
    /** A path pattern: literal segments, `:param` segments, and a trailing `*` for any rest. */
    path: T.String({ pattern: '^/[A-Za-z0-9_.~:*/-]*$', maxLength: 256 }),
    auth: T.Union([T.Literal('public'), T.Literal('optional'), T.Literal('required')]),
  },
  { additionalProperties: false },
);

const AssetsSchema = T.Object(
  {
    /** URL prefix, e.g. `/remotes/admin/`: a request for `<prefix><file>` is answered from `<dir>/<file>`. */
    prefix: T.String({ pattern: '^/[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*/$', maxLength: 128 }),
    /** Absolute path of the directory served. */
    dir: T.String({ pattern: '^/', minLength: 2 }),
    /** `public`: anyone; `required`: a live session, and the rules below. */
    access: T.Union([T.Literal('public'), T.Literal('required')], { default: 'public' }),
    /** One of these global roles is needed. */
    roles: T.Optional(T.Array(T.String({ minLength: 1, maxLength: 64 }), { minItems: 1 })),
    /** Every one of these global permissions is needed. */
    permissions: T.Optional(T.Array(PermissionString, { minItems: 1 })),
    /** Membership of at least one tenant is needed. */
    tenantMember: T.Optional(T.Boolean()),
  },
  { additionalProperties: false },
);

/** JSON schema of the BFF's options. Every option has a default except the secrets in production. */
export const BffOptionsSchema = T.Object(
  {
    /** Where users reach the BFF; the callback is this + `/auth/callback`. */
    publicUrl: T.String({ pattern: '^https?://[^\\s/?#]+$', default: 'http://localhost:4000' }),
    /** Listening port of the standalone server; defaults to the public URL's port. */
    port: T.Optional(T.Integer({ minimum: 0, maximum: 65_535 })),
    host: T.String({ minLength: 1, default: '127.0.0.1' }),
    issuer: T.String({ pattern: '^https?://[^\\s]+$', default: 'http://localhost:4001' }),
    clientId: T.String({ minLength: 1, maxLength: 256, default: 'gatehouse-bff' }),
    clientSecret: T.String({ minLength: 1, maxLength: 1024, default: 'gatehouse-dev-secret' }),
    /**
     * How the BFF authenticates at the token endpoint. `auto`: `private_key_jwt` when a `clientKey` is
     * configured and the issuer supports it, else the first of `client_secret_basic` / `client_secret_post` in
     * the issuer's `token_endpoint_auth_methods_supported` (its own order), else `client_secret_basic`. Never
     * `none`: the BFF is a confidential client.
     */
    tokenEndpointAuthMethod: T.Union(
      [
        T.Literal('auto'),
        T.Literal('client_secret_basic'),
        T.Literal('client_secret_post'),
        T.Literal('private_key_jwt'),
      ],
      { default: 'auto' },
    ),
    /**
     * The private key of `private_key_jwt`: a file (PEM or JWK) or a JWK as JSON. Its public half is served at
     * `GET /auth/jwks` for the issuer to fetch.
     */
    clientKey: T.Optional(
      T.Object(
        {
          file: T.Optional(T.String({ pattern: '^/', minLength: 2 })),
          jwk: T.Optional(T.String({ minLength: 2, maxLength: 16_384 })),
        },
        { additionalProperties: false },
      ),
    ),
    /**
     * DPoP (RFC 9449): the BFF proves possession of `dpopKey` at the token endpoint, so the issuer binds the
     * access tokens to it, and sends each upstream `Authorization: DPoP <token>` with a fresh proof.
     */
    dpop: T.Boolean({ default: false }),
    /**
     * The DPoP private key, one per deployment (every instance signs with it, so any instance can use any
     * session's tokens): a file (PEM or JWK) or a JWK as JSON. Unset with `dpop` on: a generated ES256 key
     * (with a warning) outside production, a configuration error in production.
     */
    dpopKey: T.Optional(
      T.Object(
        {
          file: T.Optional(T.String({ pattern: '^/', minLength: 2 })),
          jwk: T.Optional(T.String({ minLength: 2, maxLength: 16_384 })),
        },
        { additionalProperties: false },
      ),
    ),
    scopes: T.Array(T.String({ pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' }), {
      default: ['openid', 'profile', 'email', 'offline_access'],
      minItems: 1,
    }),
    /**
     * The `acr_values` a login may ask for (`/auth/login?acr_values=…`); unset: those the issuer lists in
     * `acr_values_supported`, and none when it lists none. Anything else answers 400.
     */
    loginAcrValues: T.Optional(T.Array(T.String({ pattern: '^[\\x21-\\x7e]{1,128}$' }), { maxItems: 64 })),
    /** Resource indicator (RFC 8707) asked for, so the access token is for the APIs' audience. */
    resource: T.Optional(T.String({ minLength: 1, maxLength: 512 })),
    rolesClaim: T.String({ minLength: 1, maxLength: 128, default: 'roles' }),
    /**
     * For an issuer that scopes access tokens to an organisation: the token-request parameter that names it
     * (`organization` at the dev IdP). Every refresh grant then sends the session's active tenant in it, and a
     * tenant switch makes the session's tokens due, so each API gets a token of the tenant the user works in
     * and can refuse another (`@gatehouse/api`'s `activeTenantClaim`). Unset: tokens name no active tenant.
     */
    tenantTokenParameter: T.Optional(T.String({ pattern: '^[a-z][a-z0-9_]{0,63}$' })),
    roles: T.Optional(Permissions),
    tenantRoles: T.Optional(Permissions),
    /** Key material for cookie signatures; the first signs, all verify (rotation). */
    sessionSecrets: T.Array(T.String({ minLength: 32, maxLength: 4096 }), { minItems: 1 }),
    cookieName: T.String({ pattern: '^__Host-[A-Za-z0-9_-]{1,64}$', default: '__Host-Http-gatehouse' }),
    loginCookieName: T.String({
      pattern: '^__Host-[A-Za-z0-9_-]{1,64}$',
      default: '__Host-Http-gatehouse-login',
    }),
    idleTimeout: Seconds(1800),
    absoluteTimeout: Seconds(28_800),
    /** Seconds a login may take between `/auth/login` and the callback. */
    loginTimeout: Seconds(600, 10),
    /**
     * Requests one client address may make to `/auth/login`, and as many to `/auth/callback`, within
     * `loginRateWindowMs`; beyond, 429 `too_many_requests` with `Retry-After`. Counted in Redis (across
     * instances) with `redisUrl` or a Redis store, else in this process. 0: no limit (one in front of the BFF).
     */
    loginRateLimit: T.Integer({ minimum: 0, maximum: 1_000_000, default: 60 }),
    loginRateWindowMs: T.Integer({ minimum: 1_000, maximum: 3_600_000, default: 60_000 }),
    /** Most pending logins of one browser (its login cookie); a new one beyond drops that browser's oldest. */
    maxPendingLoginsPerBrowser: T.Integer({ minimum: 1, maximum: 100, default: 5 }),
    /** Most pending logins in the store; beyond, a new browser's login answers 503 (no pending one is evicted). */
    maxPendingLogins: T.Integer({ minimum: 1, maximum: 10_000_000, default: 10_000 }),
    /** Most live sessions of one user (`iss` + `sub`); a new sign-in beyond ends that user's oldest. */
    maxSessionsPerUser: T.Integer({ minimum: 1, maximum: 100_000, default: 50 }),
    /** Open push streams (`/auth/events`) per session, per user and in this process. */
    maxPushStreamsPerSession: T.Integer({ minimum: 1, maximum: 1_000, default: 16 }),
    maxPushStreamsPerUser: T.Integer({ minimum: 1, maximum: 100_000, default: 64 }),
    maxPushStreams: T.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000 }),
    /**
     * Open long-lived upstream connections (WebSockets and event streams of `websocket` / `sse` upstreams) per
     * session and in this process; beyond, 429 and 503 at the handshake.
     */
    maxLongLivedPerSession: T.Integer({ minimum: 1, maximum: 1_000, default: 16 }),
    maxLongLived: T.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000 }),
    /** Refresh this many seconds before the access token expires. */
    refreshLeeway: Seconds(60, 0),
    /** How long a refresh lock is held at most, and how long a request waits for someone else's refresh. */
    refreshLockMs: T.Integer({ minimum: 500, maximum: 120_000, default: 20_000 }),
    refreshWaitMs: T.Integer({ minimum: 500, maximum: 120_000, default: 25_000 }),
    /**
     * Keep the ID token server-side and send it as `id_token_hint` (with `logout_hint`) in an auto-submitted
     * POST to the issuer's end-session endpoint at sign-out, so the issuer can end its session without asking
     * the user to confirm. The ID token then reaches the browser once, on the sign-out page, after the
     * session has ended. `false`: the end-session URL carries `client_id` only.
     */
    idTokenHint: T.Boolean({ default: true }),
    /** Where the browser goes after the issuer's logout page (must be registered at the issuer). */
    postLogoutRedirectPath: Path,
    /**
     * Redirect URIs of native apps for the native session handoff (`/auth/native/*`, docs/hybrid-apps.md): a
     * loopback `http://127.0.0.1/path` (any port matches, RFC 8252 §7.3), a private-use scheme
     * (`com.example.shop:/signed-in`) or a claimed `https` link. Empty: no native app may sign in.
     */
    nativeRedirectUris: T.Array(T.String({ minLength: 1, maxLength: 512 }), { default: [], maxItems: 32 }),
    /**
     * OpenID Shared Signals (SSF 1.0): receive CAEP and RISC events pushed as SETs (RFC 8935) at
     * `POST /auth/ssf/events` and end the sessions they name (docs/http-contract.md#auth-ssf-events). Unset:
     * no receiver (404).
     */
    sharedSignals: T.Optional(
      T.Object(
        {
          /** The transmitter's issuer (every SET's `iss`); default the sign-in issuer. */
          issuer: T.Optional(T.String({ pattern: '^https?://[^\\s]+$', maxLength: 512 })),
          /** Its JWKS; default the `jwks_uri` of its `/.well-known/ssf-configuration`, else the issuer's. */
          jwksUri: T.Optional(T.String({ pattern: '^https?://[^\\s]+$', maxLength: 2048 })),
          /** The `aud` values that name this receiver; default the client id and the public URL. */
          audience: T.Optional(
            T.Array(T.String({ minLength: 1, maxLength: 512 }), { minItems: 1, maxItems: 8 }),
          ),
          /**
           * The exact `Authorization` header the transmitter sends (the stream's `authorization_header`);
           * unset: none asked, the SET's signature alone authenticates it.
           */
          authorization: T.Optional(T.String({ minLength: 16, maxLength: 4096 })),
          /** The oldest SET accepted, in seconds since its `iat` (a transmitter retries for a while). */
          maxAge: T.Integer({ minimum: 60, maximum: 86_400, default: 3600 }),
        },
        { additionalProperties: false },
      ),
    ),
    upstreams: T.Record(T.String({ pattern: upstreamNamePattern }), UpstreamSchema, { default: {} }),
    /** Exact origins remote code is loaded from (CSP `script-src` fallback for browsers without 'strict-dynamic'). */
    remoteOrigins: T.Array(T.String({ pattern: '^https?://[^\\s/?#]+$' }), { default: [] }),
    /** Trusted Types policy names the shell page may create; `[]` leaves Trusted Types off. */
    trustedTypes: T.Array(T.String({ pattern: '^[A-Za-z0-9_#=@.%-]{1,64}$' }), { default: ['gatehouse'] }),
    /** `Integrity-Policy` for scripts: report-only first, then enforced (every script must carry integrity). */
    integrityPolicy: T.Union([T.Literal('off'), T.Literal('report-only'), T.Literal('enforce')], {
      default: 'report-only',
    }),
    /** The signed remote manifest handed to the shell page (Ed25519, checked at start and on every change). */
    manifest: T.Optional(
      T.Object(
        {
          file: T.String({ pattern: '^/', minLength: 2 }),
          signature: T.Optional(T.String({ pattern: '^/', minLength: 2 })),
          publicKey: T.String({ minLength: 2 }),
          watch: T.Boolean({ default: true }),
        },
        { additionalProperties: false },
      ),
    ),
    /** Static files the BFF serves itself: the shell's bundle, and remotes only some sessions may load. */
    assets: T.Array(AssetsSchema, { default: [] }),
    /** HTML navigation rules: the first matching route decides; unmatched paths are public. */
    routes: T.Array(RouteSchema, { default: [] }),
    /**
     * Redis for sessions and session events: one `redis://`/`rediss://` URL, or several separated by commas
     * with `redisCluster` (seed nodes) or `redisSentinel` (sentinels).
     */
    redisUrl: T.Optional(T.String({ pattern: '^rediss?://' })),
    /** `redisUrl` names nodes of a Redis Cluster (`GATEHOUSE_REDIS_CLUSTER=1`). */
    redisCluster: T.Boolean({ default: false }),
    /** `redisUrl` names sentinels, and this the primary they watch (`GATEHOUSE_REDIS_SENTINEL=mymaster`). */
    redisSentinel: T.Optional(T.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' })),
    /**
     * Replicas that must have each session write before it answers (`WAIT`), so a failover loses none.
     * Default 1 with `redisCluster` or `redisSentinel`, else 0 (`GATEHOUSE_REDIS_WAIT_REPLICAS`).
     */
    redisWaitReplicas: T.Optional(T.Integer({ minimum: 0, maximum: 16 })),
    /** Milliseconds a process may answer from its cache of recently read sessions (0: always ask the store). */
    sessionCacheMs: T.Integer({ minimum: 0, maximum: 10_000, default: 1000 }),
    redisKeyPrefix: T.String({ pattern: '^[A-Za-z0-9:_-]{1,32}$', default: 'gh:' }),
    workers: T.Integer({ minimum: 1, maximum: 64, default: 1 }),
    /** Serve Prometheus metrics at `GET /metrics` on this port (never the public one); off when unset. */
    metricsPort: T.Optional(T.Integer({ minimum: 0, maximum: 65_535 })),
    /** Trust `X-Forwarded-*` from this many proxies in front (0: none). */
    trustProxy: T.Integer({ minimum: 0, maximum: 10, default: 0 }),
    logLevel: T.Union(
      [
        T.Literal('fatal'),
        T.Literal('error'),
        T.Literal('warn'),
        T.Literal('info'),
        T.Literal('debug'),
        T.Literal('silent'),
      ],
      { default: 'info' },
    ),
    production: T.Boolean({ default: false }),
  },
  { additionalProperties: false },
);

/** Options as a user writes them: everything optional but the session secret(s). */
export type BffOptions = Partial<
  Omit<T.Static<typeof BffOptionsSchema>, 'upstreams' | 'assets' | 'roles' | 'tenantRoles' | 'sharedSignals'>
> & {
  /** The Shared Signals receiver; `{}`: on, with the defaults. */
  sharedSignals?: Partial<NonNullable<T.Static<typeof BffOptionsSchema>['sharedSignals']>>;
  sessionSecrets?: string[];
  /** Global role → permissions. None by default: without a map, signed-in users get no permissions. */
  roles?: RolePermissionMap;
  /** Tenant role → permissions inside that tenant. None by default. */
  tenantRoles?: RolePermissionMap;
  upstreams?: Record<string, Partial<UpstreamConfig> & { url: string }>;
  assets?: Array<Partial<AssetsConfig> & { prefix: string; dir: string }>;
};

/** One allow-listed upstream after validation. */
export type UpstreamConfig = T.Static<typeof UpstreamSchema>;
/** One directory of static files after validation. */
export type AssetsConfig = T.Static<typeof AssetsSchema>;
/** One HTML navigation rule after validation. */
export type RouteRule = T.Static<typeof RouteSchema>;

/** The validated, frozen configuration the BFF runs with. */
export interface BffConfig
  extends Readonly<Omit<T.Static<typeof BffOptionsSchema>, 'roles' | 'tenantRoles'>> {
  readonly roles: RolePermissionMap;
  readonly tenantRoles: RolePermissionMap;
  readonly port: number;
  readonly origin: string;
  readonly callbackUrl: string;
  readonly upstreams: Readonly<Record<string, Readonly<UpstreamConfig>>>;
}

/** Secrets that ship in the source and must never be used in production. */
export const DEV_CLIENT_SECRET = 'gatehouse-dev-secret';
const DEV_ISSUER = 'http://localhost:4001';

/**
 * Validates options once, fills defaults and freezes the result. Every problem is listed in one
 * `GH_BFF_CONFIG_INVALID` error (its `problems` field); production mode refuses insecure settings.
 *
 * @example
 * const config = resolveConfig({ sessionSecrets: [process.env.GATEHOUSE_SESSION_SECRET!], upstreams: { orders: { url: 'http://127.0.0.1:4104' } } });
 */
export function resolveConfig(options: BffOptions): BffConfig {
  const input = Value.Clone(options ?? {}) as Record<string, unknown>;
  if (input.postLogoutRedirectPath === undefined) input.postLogoutRedirectPath = '/';
  if (Array.isArray(input.assets)) {
    input.assets = input.assets.map((entry) =>
      entry && typeof entry === 'object' ? Value.Default(AssetsSchema, entry) : entry,
    );
  }
  // Defaults inside records are not filled by Value.Default: fill each upstream's own.
  if (input.upstreams && typeof input.upstreams === 'object') {
    input.upstreams = Object.fromEntries(
      Object.entries(input.upstreams as Record<string, unknown>).map(([name, upstream]) => [
        name,
        upstream && typeof upstream === 'object' ? Value.Default(UpstreamSchema, upstream) : upstream,
      ]),
    );
  }
  const withDefaults = Value.Default(BffOptionsSchema, input) as Record<string, unknown>;
  const problems = optionProblems(Value.Errors(BffOptionsSchema, withDefaults));
  if (problems.length === 0) {
    const value = withDefaults as T.Static<typeof BffOptionsSchema>;
    problems.push(...semanticProblems(value));
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  const value = withDefaults as T.Static<typeof BffOptionsSchema>;
  const url = new URL(value.publicUrl);
  const port = value.port ?? (url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80);
  const config: BffConfig = {
    ...value,
    // No map, no permissions: a library never grants what the deployment did not write down.
    roles: (value.roles as RolePermissionMap | undefined) ?? {},
    tenantRoles: (value.tenantRoles as RolePermissionMap | undefined) ?? {},
    port,
    origin: url.origin,
    callbackUrl: `${url.origin}/auth/callback`,
    upstreams: Object.fromEntries(
      Object.entries(value.upstreams).map(([name, upstream]) => [
        name,
        Object.freeze({
          ...upstream,
          url: upstream.url.replace(/\/+$/, ''),
          forwardHeaders: upstream.forwardHeaders.map((header) => header.toLowerCase()),
        }),
      ]),
    ),
  };
  return deepFreeze(config);
}

function semanticProblems(value: T.Static<typeof BffOptionsSchema>): string[] {
  const problems: string[] = [];
  if (!value.scopes.includes('openid')) problems.push('scopes: must include "openid"');
  problems.push(...clientAuthProblems(value));
  if (value.idleTimeout > value.absoluteTimeout)
    problems.push('idleTimeout: must not exceed absoluteTimeout');
  if (value.maxPushStreamsPerSession > value.maxPushStreamsPerUser)
    problems.push('maxPushStreamsPerSession: must not exceed maxPushStreamsPerUser');
  if (value.maxPushStreamsPerUser > value.maxPushStreams)
    problems.push('maxPushStreamsPerUser: must not exceed maxPushStreams');
  if (value.maxLongLivedPerSession > value.maxLongLived)
    problems.push('maxLongLivedPerSession: must not exceed maxLongLived');
  for (const [name, upstream] of Object.entries(value.upstreams)) {
    // A long-lived connection is held for a session and ended with it: an anonymous one has none to follow.
    if ((upstream.websocket || upstream.sse) && upstream.access !== 'required')
      problems.push(`upstreams.${name}: websocket and sse need access "required"`);
    if (upstream.resource !== undefined && upstream.exchange !== undefined)
      problems.push(`upstreams.${name}: give resource or exchange, not both`);
  }
  if (value.workers > 1 && !value.redisUrl)
    problems.push('workers: more than one worker needs redisUrl (REDIS_URL)');
  if ((value.redisCluster || value.redisSentinel !== undefined) && !value.redisUrl)
    problems.push('redisUrl: redisCluster and redisSentinel need the nodes in redisUrl (REDIS_URL)');
  if (value.redisUrl) {
    try {
      redisTargetOf(value.redisUrl, { cluster: value.redisCluster, sentinel: value.redisSentinel });
    } catch (error) {
      problems.push(`redisUrl: ${(error as Error).message}`);
    }
  }
  if (value.production) {
    if (!value.issuer.startsWith('https://')) problems.push('issuer: production needs an https issuer');
    if (value.issuer === DEV_ISSUER) problems.push('issuer: production refuses the dev identity provider');
    if (!value.publicUrl.startsWith('https://')) problems.push('publicUrl: production needs https');
    if (value.clientSecret === DEV_CLIENT_SECRET && value.tokenEndpointAuthMethod !== 'private_key_jwt')
      problems.push('clientSecret: production refuses the dev client secret');
    for (const [name, upstream] of Object.entries(value.upstreams)) {
      const host = new URL(upstream.url).hostname;
      if (
        upstream.url.startsWith('http://') &&
        host !== '127.0.0.1' &&
        host !== 'localhost' &&
        host !== '::1'
      ) {
        problems.push(`upstreams.${name}.url: production sends tokens only over https (or loopback)`);
      }
    }
  }
  if (value.production) {
    for (const [index, origin] of value.remoteOrigins.entries()) {
      const host = new URL(origin).hostname;
      if (origin.startsWith('http://') && host !== 'localhost' && host !== '127.0.0.1') {
        problems.push(`remoteOrigins.${index}: production loads remote code only over https`);
      }
    }
  }
  problems.push(...forwardHeaderProblems(value));
  for (const [index, uri] of value.nativeRedirectUris.entries()) {
    if (!isRegistrableRedirect(uri))
      problems.push(
        `nativeRedirectUris.${index}: expected http://127.0.0.1/… or http://[::1]/… without a port, https, or a reverse-domain scheme`,
      );
  }
  for (const [index, assets] of value.assets.entries()) {
    if (/^\/(auth|api|telemetry)\//.test(assets.prefix) || assets.prefix === '/') {
      problems.push(`assets.${index}.prefix: ${assets.prefix} would hide the BFF's own endpoints`);
    }
    if (!existsSync(assets.dir)) problems.push(`assets.${index}.dir: ${assets.dir} does not exist`);
    if (assets.access === 'public' && (assets.roles || assets.permissions || assets.tenantMember)) {
      problems.push(`assets.${index}: roles, permissions and tenantMember need access "required"`);
    }
  }
  for (const [index, route] of value.routes.entries()) {
    if (route.path.includes('*') && !route.path.endsWith('/*') && route.path !== '/*') {
      problems.push(`routes.${index}.path: "*" is only allowed as the last segment`);
    }
  }
  return problems;
}

function forwardHeaderProblems(value: T.Static<typeof BffOptionsSchema>): string[] {
  const problems: string[] = [];
  for (const [name, upstream] of Object.entries(value.upstreams)) {
    for (const header of upstream.forwardHeaders) {
      if (isReservedHeader(header.toLowerCase()))
        problems.push(`upstreams.${name}.forwardHeaders: ${header} is the BFF's own or hop-by-hop`);
    }
  }
  return problems;
}

function clientAuthProblems(value: T.Static<typeof BffOptionsSchema>): string[] {
  const problems: string[] = [];
  const key = value.clientKey;
  if (value.tokenEndpointAuthMethod === 'private_key_jwt' && !key)
    problems.push('tokenEndpointAuthMethod: private_key_jwt needs clientKey (GATEHOUSE_CLIENT_KEY_FILE)');
  if (key && (key.file === undefined) === (key.jwk === undefined))
    problems.push('clientKey: give exactly one of file and jwk');
  if (key?.file !== undefined && !existsSync(key.file))
    problems.push(`clientKey.file: ${key.file} does not exist`);
  const dpopKey = value.dpopKey;
  if (dpopKey && (dpopKey.file === undefined) === (dpopKey.jwk === undefined))
    problems.push('dpopKey: give exactly one of file and jwk');
  if (dpopKey?.file !== undefined && !existsSync(dpopKey.file))
    problems.push(`dpopKey.file: ${dpopKey.file} does not exist`);
  // A generated key is per process: another worker could not use the tokens bound to it.
  if (value.dpop && value.workers > 1 && !dpopKey)
    problems.push(
      "dpopKey: more than one worker with dpop needs the deployment's key (GATEHOUSE_DPOP_KEY_FILE)",
    );
  if (value.dpop && value.production && !dpopKey)
    problems.push("dpopKey: production with dpop needs the deployment's key (GATEHOUSE_DPOP_KEY_FILE)");
  return problems;
}

/** Thrown by {@link resolveConfig}: `problems` lists every invalid option. */
export class ConfigError extends BffError {
  readonly problems: readonly string[];
  constructor(problems: string[]) {
    super('GH_BFF_CONFIG_INVALID', `Invalid Gatehouse BFF configuration:\n  - ${problems.join('\n  - ')}`, {
      status: 500,
      problem: 'internal',
    });
    this.problems = Object.freeze(problems);
  }
}
