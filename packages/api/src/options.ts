import {
  asymmetricJwsAlgorithms,
  deepFreeze,
  optionProblems,
  type Policy,
  permissionPattern,
  type RolePermissionMap,
  roleNamePattern,
} from '@gatehouse/policy';
import * as T from 'typebox';
import Value from 'typebox/value';
import type { AuditSink } from './audit.js';
import { ApiError } from './errors.js';

/**
 * Asymmetric JWS algorithms the verifier can be told to accept. `none` and `HS*` are never accepted.
 *
 * @example
 * createAccessTokenVerifier({ issuer, audience, algorithms: ['ES256'] }) // one of supportedAlgorithms
 */
export const supportedAlgorithms = asymmetricJwsAlgorithms;

/** An algorithm of {@link supportedAlgorithms}. */
export type SupportedAlgorithm = (typeof supportedAlgorithms)[number];

/**
 * Fields a request body may never set unless its schema declares them (mass assignment).
 *
 * @example
 * await app.register(gatehouseApi, { issuer, audience, protectedFields: [...defaultProtectedFields, 'price'] });
 */
export const defaultProtectedFields = Object.freeze([
  'id',
  '_id',
  'sub',
  'iss',
  'role',
  'roles',
  'permissions',
  'scope',
  'tenant',
  'tenantId',
  'tenants',
  'owner',
  'ownerId',
  'userId',
  'isAdmin',
  'createdAt',
  'updatedAt',
  'createdBy',
]);

const Url = T.String({ pattern: '^https?://[^\\s#]+$', maxLength: 2048 });
const Audience = T.String({ minLength: 1, maxLength: 512 });
const Permissions = T.Record(
  T.String({ pattern: roleNamePattern }),
  T.Array(T.String({ pattern: permissionPattern })),
);

/** JSON schema of the access-token verifier's options. */
export const VerifierOptionsSchema = T.Object(
  {
    /** The issuer, exactly as it appears in `iss` and in its discovery document. */
    issuer: Url,
    /** The audience(s) this service accepts in `aud` (`urn:gatehouse:shop`). */
    audience: T.Union([Audience, T.Array(Audience, { minItems: 1, maxItems: 16 })]),
    /** Skip discovery and use this JWKS URL. */
    jwksUri: T.Optional(Url),
    algorithms: T.Array(T.String({ maxLength: 16 }), { minItems: 1, default: ['RS256', 'ES256', 'PS256'] }),
    /** Seconds of leeway for `exp` and `nbf`. */
    clockTolerance: T.Integer({ minimum: 0, maximum: 300, default: 5 }),
    /** Refuse tokens without `typ: at+jwt` (RFC 9068). Off by default: some issuers send `JWT` or nothing. */
    requireAccessTokenType: T.Boolean({ default: false }),
    /** Accept an `aud` array naming other audiences too. Off: a token for several services is refused. */
    allowMultipleAudiences: T.Boolean({ default: false }),
    /** Refuse tokens issued (`iat`) longer ago than this many seconds. */
    maxTokenAge: T.Optional(T.Integer({ minimum: 1, maximum: 31_536_000 })),
    maxTokenLength: T.Integer({ minimum: 512, maximum: 65_536, default: 8192 }),
    /** At most one JWKS refetch per this many ms for an unknown `kid`. */
    jwksCooldownMs: T.Integer({ minimum: 1000, maximum: 3_600_000, default: 30_000 }),
    /** Keys are refetched after this many ms even when every `kid` is known. */
    jwksCacheMaxAgeMs: T.Integer({ minimum: 1000, maximum: 86_400_000, default: 600_000 }),
    /** Timeout of the discovery and JWKS requests. */
    httpTimeoutMs: T.Integer({ minimum: 100, maximum: 60_000, default: 5000 }),
    /** After a failed discovery or JWKS request, wait this many ms before asking again (last keys still serve). */
    issuerRetryMs: T.Integer({ minimum: 0, maximum: 300_000, default: 2000 }),
    /** Production refuses an `http:` issuer or JWKS URL. Defaults to `NODE_ENV === 'production'`. */
    production: T.Optional(T.Boolean()),
    /** A DPoP proof's `iat` may be this many seconds before or after now; its `jti` is remembered twice as long. */
    dpopWindowSeconds: T.Integer({ minimum: 1, maximum: 300, default: 60 }),
    /** How many DPoP proof ids (`jti`) the replay cache keeps at most. */
    dpopReplayCacheSize: T.Integer({ minimum: 100, maximum: 10_000_000, default: 100_000 }),
    /** Require a server nonce in DPoP proofs (RFC 9449 §8): a proof without it gets 401 `use_dpop_nonce`. */
    dpopNonce: T.Boolean({ default: false }),
  },
  { additionalProperties: false },
);

/** Options of {@link createAccessTokenVerifier}: `issuer` and `audience` are required, the rest has defaults. */
export type AccessTokenVerifierOptions = Pick<T.Static<typeof VerifierOptionsSchema>, 'issuer' | 'audience'> &
  Partial<Omit<T.Static<typeof VerifierOptionsSchema>, 'issuer' | 'audience' | 'algorithms'>> & {
    algorithms?: string[];
  };

/** Validated, frozen verifier options. */
export interface VerifierConfig
  extends Readonly<Omit<T.Static<typeof VerifierOptionsSchema>, 'audience' | 'algorithms' | 'production'>> {
  readonly audiences: readonly string[];
  readonly algorithms: readonly SupportedAlgorithm[];
  readonly production: boolean;
}

const ApiDataSchema = T.Object(
  {
    ...VerifierOptionsSchema.properties,
    /** The claim holding global roles. */
    rolesClaim: T.String({ minLength: 1, maxLength: 128, default: 'roles' }),
    /** Global role → permissions; defaults to the reference shop's. */
    roles: T.Optional(Permissions),
    /** Tenant role → permissions inside that tenant; defaults to the reference shop's. */
    tenantRoles: T.Optional(Permissions),
    /**
     * The claim naming the one tenant a token acts in (`org_id` for the dev IdP and Auth0 Organizations),
     * for an issuer that scopes tokens to the user's active tenant. Set, `requireTenantPermission` also
     * needs the route's tenant to be that one (403 otherwise): the API agrees with the tenant the user
     * switched to, not only with their memberships. Unset: any tenant the user is a member of.
     */
    activeTenantClaim: T.Optional(T.String({ minLength: 1, maxLength: 128 })),
    /** Body fields refused unless a route's schema declares them. */
    protectedFields: T.Array(T.String({ minLength: 1, maxLength: 128 }), {
      default: [...defaultProtectedFields],
    }),
    /** Answer unknown routes with a problem+json 404 (turn off if the app sets its own not-found handler). */
    notFoundHandler: T.Boolean({ default: true }),
    /** Write an audit event for every failed authentication (missing, bad or expired token). */
    auditAuthenticationFailures: T.Boolean({ default: true }),
    /**
     * The service's public origin (and path prefix) as clients address it, behind a proxy: a DPoP proof's
     * `htu` must be this + the request path. Without it, the request's own protocol and host are used.
     */
    publicBaseUrl: T.Optional(Url),
    /** The problem `type` is this prefix + the problem code. */
    problemTypeBase: T.String({ minLength: 1, maxLength: 512, default: 'urn:gatehouse:problem:' }),
  },
  { additionalProperties: false },
);

/** Options of the `gatehouseApi` Fastify plugin. */
export type GatehouseApiOptions = AccessTokenVerifierOptions &
  Partial<
    Omit<
      T.Static<typeof ApiDataSchema>,
      keyof T.Static<typeof VerifierOptionsSchema> | 'roles' | 'tenantRoles' | 'protectedFields'
    >
  > & {
    /** Global role → permissions. None by default: without a map, tokens grant no permissions. */
    roles?: RolePermissionMap;
    /** Tenant role → permissions inside that tenant. None by default. */
    tenantRoles?: RolePermissionMap;
    /** Body fields refused unless a route's schema declares them; defaults to {@link defaultProtectedFields}. */
    protectedFields?: readonly string[];
    /** Where audit events go; defaults to the request logger at `info`. */
    audit?: AuditSink;
    /** The policy with the deployment's conditions (`createPolicy`); defaults to the plain rules. */
    policy?: Policy;
  };

/** Validated, frozen plugin options. */
export interface ApiConfig extends VerifierConfig {
  readonly rolesClaim: string;
  readonly activeTenantClaim: string | undefined;
  readonly roles: RolePermissionMap | undefined;
  readonly tenantRoles: RolePermissionMap | undefined;
  readonly protectedFields: readonly string[];
  readonly notFoundHandler: boolean;
  readonly auditAuthenticationFailures: boolean;
  readonly problemTypeBase: string;
  readonly publicBaseUrl: string | undefined;
}

/**
 * Thrown by the option checks: `problems` lists every invalid option.
 *
 * @example
 * try { resolveApiOptions(options); } catch (error) { if (error instanceof OptionsError) console.error(error.problems); }
 */
export class OptionsError extends ApiError {
  readonly problems: readonly string[];
  constructor(problems: string[]) {
    super('GH_API_OPTIONS_INVALID', `Invalid Gatehouse API options:\n  - ${problems.join('\n  - ')}`);
    this.problems = Object.freeze(problems);
  }
}

const loopback = (url: string) => ['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname);

function check<S extends T.TObject>(
  schema: S,
  options: unknown,
  extra: (value: T.Static<S>) => string[],
  earlier: string[] = [],
) {
  if (typeof options !== 'object' || options === null) throw new OptionsError(['options: must be an object']);
  const input = Value.Clone(options) as Record<string, unknown>;
  const withDefaults = Value.Default(schema, input) as Record<string, unknown>;
  const problems = [...earlier, ...optionProblems(Value.Errors(schema, withDefaults))];
  if (problems.length === 0) problems.push(...extra(withDefaults as T.Static<S>));
  if (problems.length > 0) throw new OptionsError(problems);
  return withDefaults as T.Static<S>;
}

function verifierProblems(value: T.Static<typeof VerifierOptionsSchema>): string[] {
  const problems: string[] = [];
  const refused = value.algorithms.filter((alg) => !(supportedAlgorithms as readonly string[]).includes(alg));
  if (refused.length > 0) {
    problems.push(
      `algorithms: ${refused.join(', ')} refused (asymmetric only: ${supportedAlgorithms.join(', ')})`,
    );
  }
  const production = value.production ?? process.env.NODE_ENV === 'production';
  if (production) {
    if (!value.issuer.startsWith('https://')) problems.push('issuer: production needs an https issuer');
    if (value.jwksUri?.startsWith('http://') && !loopback(value.jwksUri)) {
      problems.push('jwksUri: production needs https');
    }
  }
  return problems;
}

function verifierConfig(value: T.Static<typeof VerifierOptionsSchema>): VerifierConfig {
  const { audience, algorithms, production, ...rest } = value;
  return {
    ...rest,
    audiences: Object.freeze(typeof audience === 'string' ? [audience] : [...new Set(audience)]),
    algorithms: Object.freeze([...new Set(algorithms)] as SupportedAlgorithm[]),
    production: production ?? process.env.NODE_ENV === 'production',
  };
}

/**
 * Validates the verifier's options once, fills defaults and freezes them; every problem is listed in one
 * `GH_API_OPTIONS_INVALID` error.
 *
 * @example
 * const config = resolveVerifierOptions({ issuer: 'https://id.example.com', audience: 'urn:gatehouse:shop' });
 */
export function resolveVerifierOptions(options: AccessTokenVerifierOptions): VerifierConfig {
  return Object.freeze(verifierConfig(check(VerifierOptionsSchema, options, verifierProblems)));
}

/**
 * Validates the plugin's options (everything but `audit` and `policy`, checked by shape), fills defaults and
 * freezes them; every problem is listed in one `GH_API_OPTIONS_INVALID` error.
 *
 * @example
 * const config = resolveApiOptions({ issuer: 'https://id.example.com', audience: 'urn:gatehouse:shop' });
 */
export function resolveApiOptions(options: GatehouseApiOptions): ApiConfig {
  const { audit, policy, ...data } = (options ?? {}) as GatehouseApiOptions;
  const shapeProblems: string[] = [];
  if (audit !== undefined && typeof audit?.write !== 'function')
    shapeProblems.push('audit: needs a write(event) method');
  if (policy !== undefined && typeof policy?.decide !== 'function')
    shapeProblems.push('policy: needs a decide() method');
  const value = check(ApiDataSchema, data, verifierProblems, shapeProblems);
  const {
    rolesClaim,
    activeTenantClaim,
    roles,
    tenantRoles,
    protectedFields,
    notFoundHandler,
    auditAuthenticationFailures,
    problemTypeBase,
    publicBaseUrl,
    ...verifier
  } = value;
  const config: ApiConfig = {
    ...verifierConfig(verifier),
    rolesClaim,
    activeTenantClaim,
    roles: roles && deepFreeze(roles as RolePermissionMap),
    tenantRoles: tenantRoles && deepFreeze(tenantRoles as RolePermissionMap),
    protectedFields: Object.freeze([...protectedFields]),
    notFoundHandler,
    auditAuthenticationFailures,
    problemTypeBase,
    publicBaseUrl: publicBaseUrl?.replace(/\/+$/, ''),
  };
  return Object.freeze(config);
}
