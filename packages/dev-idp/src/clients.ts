import * as T from 'typebox';
import { DevIdpError } from './errors.js';
import { type ClientGrantType, TOKEN_EXCHANGE_GRANT } from './grants.js';
import { checkSchema, isPlainHttpUrl, isRecord } from './lib/option-schema.js';

/**
 * A client (relying party) registered at the dev IdP, in OpenID Connect Dynamic Client Registration metadata
 * names. Only confidential clients of the authorization-code flow are accepted.
 */
export interface DevIdpClient {
  readonly client_id: string;
  /** Shared secret for `client_secret_basic` / `client_secret_post`; not needed with `private_key_jwt`. */
  readonly client_secret?: string;
  readonly client_name?: string;
  /** Exact redirect URIs; a request must match one byte for byte. */
  readonly redirect_uris: readonly string[];
  /** Exact `post_logout_redirect_uri` values allowed at the end-session endpoint. */
  readonly post_logout_redirect_uris?: readonly string[];
  /** Where the logout token is POSTed (OpenID Connect Back-Channel Logout 1.0). */
  readonly backchannel_logout_uri?: string;
  /** Put `sid` in the logout token (default `true` when `backchannel_logout_uri` is set). */
  readonly backchannel_logout_session_required?: boolean;
  /**
   * Default `['authorization_code', 'refresh_token']`. With {@link TOKEN_EXCHANGE_GRANT} the client may trade an
   * access token it holds for one of another configured audience (RFC 8693).
   */
  readonly grant_types?: readonly ClientGrantType[];
  /**
   * Registered authentication method (default `client_secret_basic`). Either secret method is accepted at the
   * token, revocation and introspection endpoints whichever is registered; `private_key_jwt` needs `jwks_uri`
   * (or `jwks`) with the client's public key.
   */
  readonly token_endpoint_auth_method?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  /** Where the client publishes its public keys (`private_key_jwt`, ID-token encryption). */
  readonly jwks_uri?: string;
  /** The client's public keys, inline (instead of `jwks_uri`). */
  readonly jwks?: { readonly keys: readonly Record<string, unknown>[] };
  /** `pairwise`: each client sees its own `sub` for a user (OpenID Connect Core 8.1). Default `public`. */
  readonly subject_type?: 'public' | 'pairwise';
  /**
   * Encrypt ID tokens to the client's key (`jwks`/`jwks_uri`) with this JWE `alg` (e.g. `RSA-OAEP-256`), to test
   * relying parties that must refuse or decrypt them.
   */
  readonly id_token_encrypted_response_alg?: 'RSA-OAEP' | 'RSA-OAEP-256' | 'ECDH-ES';
}

/** What {@link bffClient} needs. */
export interface BffClientOptions {
  /** The BFF's public origin, e.g. `http://localhost:4000` or `http://localhost:54321` in tests. */
  readonly baseUrl: string;
  /** Default `gatehouse-bff`. */
  readonly clientId?: string;
  /** Default `gatehouse-dev-secret` (development only: it is public in this repository). */
  readonly clientSecret?: string;
}

const BffClientOptionsSchema = T.Object(
  {
    baseUrl: T.String(),
    clientId: T.Optional(T.String({ minLength: 1, maxLength: 256 })),
    clientSecret: T.Optional(T.String({ minLength: 1, maxLength: 256 })),
  },
  { additionalProperties: false },
);

/** The default client's id. */
export const DEFAULT_CLIENT_ID = 'gatehouse-bff';
/** The default client's secret. Development only: it is published in this repository. */
export const DEFAULT_CLIENT_SECRET = 'gatehouse-dev-secret';
/** Where the reference shop's BFF listens by default (docs/http-contract.md#origins). */
export const DEFAULT_BFF_URL = 'http://localhost:4000';

/**
 * The confidential client of a Gatehouse BFF reachable at `baseUrl`: callback `<baseUrl>/auth/callback`,
 * post-logout redirect `<baseUrl>/`, back-channel logout `<baseUrl>/auth/backchannel-logout` (with `sid`),
 * authorization code, refresh token and token exchange (RFC 8693, for upstreams configured with `exchange`)
 * grants, `client_secret_basic` (or `_post`). The dev IdP's default
 * client is `bffClient({ baseUrl: 'http://localhost:4000' })`.
 *
 * @example
 * const bffPort = await freePort();
 * const idp = await createDevIdp({ port: 0, clients: [bffClient({ baseUrl: `http://localhost:${bffPort}` })] });
 */
export function bffClient(options: BffClientOptions): DevIdpClient {
  const { problems } = checkSchema(BffClientOptionsSchema, isRecord(options) ? options : {});
  if (!isRecord(options)) problems.unshift('options: must be an object');
  const base = typeof options?.baseUrl === 'string' ? URL.parse(options.baseUrl) : null;
  if (typeof options?.baseUrl === 'string' && !isPlainHttpUrl(options.baseUrl, { query: false })) {
    problems.push('baseUrl: must be an http(s) URL without query, fragment or credentials');
  }
  if (problems.length > 0 || !base) {
    throw new DevIdpError('GH_DEV_IDP_OPTIONS_INVALID', `invalid bffClient options: ${problems.join('; ')}`, {
      problems,
    });
  }
  const root = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
  return Object.freeze({
    client_id: options.clientId ?? DEFAULT_CLIENT_ID,
    client_secret: options.clientSecret ?? DEFAULT_CLIENT_SECRET,
    client_name: 'Gatehouse BFF',
    redirect_uris: Object.freeze([`${root}/auth/callback`]),
    post_logout_redirect_uris: Object.freeze([`${root}/`]),
    backchannel_logout_uri: `${root}/auth/backchannel-logout`,
    backchannel_logout_session_required: true,
    grant_types: Object.freeze(['authorization_code', 'refresh_token', TOKEN_EXCHANGE_GRANT] as const),
    token_endpoint_auth_method: 'client_secret_basic',
  });
}
