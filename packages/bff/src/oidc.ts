import { asymmetricJwsAlgorithms } from '@gatehouse/policy';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import * as client from 'openid-client';
import type { Logger } from 'pino';
import type { ClientKey } from './client-key.js';
import type { BffConfig } from './config.js';
import type { DPoPKey } from './dpop-key.js';
import { BffError } from './errors.js';
import { grantedResources, primaryResource } from './resources.js';

/** A client authentication method the BFF can use at the token endpoint (never `none`). */
export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/**
 * Which method to use: the configured one, or with `auto` `private_key_jwt` when a key is configured and the
 * issuer takes it (with the key's algorithm), else the first of `client_secret_basic` / `client_secret_post`
 * in the issuer's own list, else `client_secret_basic` (RFC 8414's default when the issuer lists none).
 * Throws when the issuer lists methods and none of them can be used.
 *
 * @example
 * chooseTokenEndpointAuthMethod('auto', { token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'] })
 * // 'client_secret_post' (LemonLDAP::NG lists it first)
 */
export function chooseTokenEndpointAuthMethod(
  configured: BffConfig['tokenEndpointAuthMethod'],
  issuer: Pick<
    client.ServerMetadata,
    'token_endpoint_auth_methods_supported' | 'token_endpoint_auth_signing_alg_values_supported'
  >,
  key?: Pick<ClientKey, 'alg'>,
): TokenEndpointAuthMethod {
  const listed = issuer.token_endpoint_auth_methods_supported;
  const algs = issuer.token_endpoint_auth_signing_alg_values_supported;
  const keyUsable = key !== undefined && (algs === undefined || algs.includes(key.alg));
  const usable = (method: string): method is TokenEndpointAuthMethod =>
    method === 'private_key_jwt'
      ? keyUsable
      : method === 'client_secret_basic' || method === 'client_secret_post';
  if (configured !== 'auto') {
    if (listed && !listed.includes(configured))
      throw new Error(`the issuer does not support ${configured} (it lists ${listed.join(', ')})`);
    if (configured === 'private_key_jwt' && !keyUsable)
      throw new Error(`the issuer does not accept ${key?.alg ?? 'unsigned'} client assertions`);
    return configured;
  }
  if (!listed) return keyUsable ? 'private_key_jwt' : 'client_secret_basic';
  if (keyUsable && listed.includes('private_key_jwt')) return 'private_key_jwt';
  const method = listed.filter(usable).find((candidate) => candidate !== 'private_key_jwt');
  if (!method)
    throw new Error(
      `the issuer supports none of the BFF's client authentication methods (${listed.join(', ')})`,
    );
  return method;
}

/** Tokens as the issuer answered them, with expiry made absolute. */
export interface IssuedTokens {
  readonly accessToken: string;
  readonly accessTokenExpiresAt: number;
  readonly refreshToken?: string;
  readonly idToken?: string;
  readonly scope?: string;
}

/** The ID token's verified claims after the code exchange. */
export type IdTokenClaims = Readonly<Record<string, unknown>> & {
  readonly sub: string;
  readonly iss: string;
};

/** What a valid logout token names. */
export interface LogoutTokenSubject {
  readonly iss: string;
  readonly sub?: string;
  readonly sid?: string;
  /** Its unique id: a token is honoured once (remembered until `expiresAt`). */
  readonly jti: string;
  /** When it expires (epoch ms). */
  readonly expiresAt: number;
}

/** A JSON object: not null, not an array. */
const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const DISCOVERY_RETRY_MS = 5_000;
const REQUEST_TIMEOUT_S = 10;
/** Access tokens that come without `expires_in` are treated as living this long. */
const DEFAULT_ACCESS_TOKEN_LIFETIME_S = 300;

/** The login's options as the authorization request carries them (OpenID Connect Core 3.1.2.1). */
export interface LoginRequestOptions {
  readonly prompt?: string | undefined;
  readonly login_hint?: string | undefined;
  readonly max_age?: number | undefined;
  readonly acr_values?: string | undefined;
  readonly ui_locales?: string | undefined;
}

function authorizationOptions(options: LoginRequestOptions): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const [name, value] of Object.entries(options)) if (value !== undefined) parameters[name] = `${value}`;
  return parameters;
}

/** The `error` code of an OAuth error answer (`invalid_grant`…), if `error` is one. */
export function oauthErrorCode(error: unknown): string | undefined {
  if (error instanceof client.ResponseBodyError || error instanceof client.AuthorizationResponseError)
    return error.error;
  return undefined;
}

/**
 * The BFF's relying party: a confidential OpenID Connect client (authorization code + PKCE S256, `state`,
 * `nonce`, issuer `iss` check) built on openid-client, against any issuer found by discovery. Discovery is
 * lazy and retried, so the BFF starts (and running sessions keep working) while the issuer is down.
 */
export class OidcClient {
  readonly #config: BffConfig;
  readonly #key: ClientKey | undefined;
  readonly #log: Logger | undefined;
  readonly #dpop: DPoPKey | undefined;
  #dpopHandle: client.DPoPHandle | undefined;
  #method: TokenEndpointAuthMethod | undefined;
  #configuration: client.Configuration | undefined;
  #pending: Promise<client.Configuration> | undefined;
  #failedAt = 0;
  #lastError: unknown;
  #jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  constructor(
    config: BffConfig,
    options: { readonly key?: ClientKey; readonly log?: Logger; readonly dpop?: DPoPKey } = {},
  ) {
    this.#config = config;
    this.#key = options.key;
    this.#log = options.log;
    this.#dpop = options.dpop;
  }

  /**
   * openid-client's `DPoP` option with the deployment's key (one handle: it keeps the issuer's DPoP nonce),
   * or nothing when DPoP is off.
   */
  #dpopOption(configuration: client.Configuration): { DPoP?: client.DPoPHandle } {
    if (!this.#dpop) return {};
    this.#dpopHandle ??= client.getDPoPHandle(configuration, this.#dpop.keyPair);
    return { DPoP: this.#dpopHandle };
  }

  /** With DPoP on, a token the issuer did not bind to the key (`token_type` not `DPoP`) is refused. */
  #checkBound(response: client.TokenEndpointResponse): void {
    if (this.#dpop && response.token_type.toLowerCase() !== 'dpop')
      throw new Error(
        `dpop is on but the issuer did not bind the access token (token_type ${response.token_type})`,
      );
  }

  /** The client authentication method in use, once the issuer was discovered. */
  get tokenEndpointAuthMethod(): TokenEndpointAuthMethod | undefined {
    return this.#method;
  }

  /** The discovered configuration; rejects with `GH_BFF_ISSUER_UNAVAILABLE` while discovery fails. */
  async configuration(): Promise<client.Configuration> {
    if (this.#configuration) return this.#configuration;
    if (Date.now() - this.#failedAt < DISCOVERY_RETRY_MS && this.#lastError !== undefined) {
      throw issuerUnavailable(this.#lastError);
    }
    this.#pending ??= this.#discover().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #discover(): Promise<client.Configuration> {
    const { issuer, clientId, clientSecret } = this.#config;
    try {
      const insecure = issuer.startsWith('http://');
      const discovered = await client.discovery(new URL(issuer), clientId, undefined, undefined, {
        timeout: REQUEST_TIMEOUT_S,
        ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
      });
      const metadata = discovered.serverMetadata();
      const methods = metadata.code_challenge_methods_supported;
      if (methods && !methods.includes('S256')) {
        throw new Error(`issuer ${issuer} does not support PKCE S256`);
      }
      const method = chooseTokenEndpointAuthMethod(this.#config.tokenEndpointAuthMethod, metadata, this.#key);
      const key = this.#key;
      const authentication =
        method === 'private_key_jwt' && key
          ? client.PrivateKeyJwt({ key: key.privateKey, kid: key.kid })
          : method === 'client_secret_post'
            ? client.ClientSecretPost(clientSecret)
            : client.ClientSecretBasic(clientSecret);
      const configuration = new client.Configuration(metadata, clientId, undefined, authentication);
      configuration.timeout = REQUEST_TIMEOUT_S;
      if (insecure) client.allowInsecureRequests(configuration);
      this.#method = method;
      this.#configuration = configuration;
      this.#lastError = undefined;
      return configuration;
    } catch (error) {
      this.#failedAt = Date.now();
      this.#lastError = error;
      throw issuerUnavailable(error);
    }
  }

  /** The issuer identifier exactly as its metadata states it. */
  async issuer(): Promise<string> {
    return (await this.configuration()).serverMetadata().issuer;
  }

  /** The `acr_values` the issuer says it supports (`acr_values_supported`), `[]` when it says nothing. */
  async acrValuesSupported(): Promise<readonly string[]> {
    const supported = (await this.configuration()).serverMetadata().acr_values_supported;
    return Array.isArray(supported) ? supported.filter((value) => typeof value === 'string') : [];
  }

  /**
   * The authorization request URL: code flow, PKCE S256, `state`, `nonce`, and the login's options (already
   * validated by the login route) under their OpenID Connect names.
   */
  async authorizationUrl(
    checks: { state: string; nonce: string; codeVerifier: string },
    options: LoginRequestOptions = {},
  ): Promise<URL> {
    const configuration = await this.configuration();
    const parameters: Record<string, string> = {
      ...authorizationOptions(options),
      redirect_uri: this.#config.callbackUrl,
      response_type: 'code',
      scope: this.#config.scopes.join(' '),
      state: checks.state,
      nonce: checks.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
    };
    // Every resource the session will want a token for, so the grant (and its refresh token) covers them.
    const search = new URLSearchParams(parameters);
    for (const resource of grantedResources(this.#config)) search.append('resource', resource);
    return client.buildAuthorizationUrl(configuration, search);
  }

  /**
   * Redeems the authorization code of `callbackQuery` (the raw query string of `/auth/callback`), checking
   * `state`, `iss` (RFC 9207, when the issuer sends it), the ID token's signature, `iss`, `aud`, `nonce`.
   */
  async redeem(
    callbackQuery: string,
    checks: { state: string; nonce: string; codeVerifier: string; maxAge?: number | undefined },
  ): Promise<{ tokens: IssuedTokens; claims: IdTokenClaims }> {
    const configuration = await this.configuration();
    const currentUrl = new URL(this.#config.callbackUrl);
    currentUrl.search = callbackQuery;
    const parameters: Record<string, string> = {};
    const primary = primaryResource(this.#config);
    if (primary) parameters.resource = primary;
    const response = await client.authorizationCodeGrant(
      configuration,
      currentUrl,
      {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
        // With `max_age` sent, openid-client requires `auth_time` and checks it is recent enough.
        ...(checks.maxAge === undefined ? {} : { maxAge: checks.maxAge }),
      },
      parameters,
      this.#dpopOption(configuration),
    );
    this.#checkBound(response);
    const claims = response.claims();
    if (!claims) throw new Error('the token response has no ID token');
    const userinfo =
      (await this.#userinfo(configuration, response.access_token, claims.sub, 'sign-in')) ?? {};
    // The ID token's claims win; userinfo adds what it lacks (many issuers put roles and profile claims only
    // there). Its `sub` must be the ID token's, which openid-client checks.
    return {
      tokens: toTokens(response),
      claims: { ...userinfo, ...claims } as unknown as IdTokenClaims,
    };
  }

  /**
   * The userinfo claims of `subject`, when the issuer has a userinfo endpoint; `{}` when it has none,
   * `undefined` when the request fails (logged). At sign-in the ID token's claims then stand alone: fewer
   * roles, never more.
   */
  async #userinfo(
    configuration: client.Configuration,
    accessToken: string,
    subject: string,
    when: 'sign-in' | 'refresh',
  ): Promise<Record<string, unknown> | undefined> {
    if (!configuration.serverMetadata().userinfo_endpoint) return {};
    try {
      const { sub: _sub, ...claims } = await client.fetchUserInfo(
        configuration,
        accessToken,
        subject,
        this.#dpopOption(configuration),
      );
      return claims;
    } catch (error) {
      this.#log?.warn(
        { event: 'userinfo_failure', err: error, when },
        `userinfo could not be read at ${when}`,
      );
      return undefined;
    }
  }

  /**
   * Uses the refresh token; the issuer may rotate it (the answer then carries the new one). `claims` is the
   * user as the issuer describes them now, read the way sign-in reads them: the refreshed ID token's claims
   * (openid-client checks its signature, `iss`, `aud` and times) over the userinfo answer for the new access
   * token. `undefined` when the issuer said nothing new: no ID token and no userinfo endpoint, or a userinfo
   * request that failed (logged; the session keeps the identity it has until the next refresh).
   * With `resource`, the new access token is for that resource (RFC 8707 `resource` on the refresh grant):
   * only a refreshed ID token then describes the user; without, it is for the primary resource.
   * With `tenant` and `tenantTokenParameter` configured, the token is asked for that organisation.
   */
  async refresh(
    refreshToken: string,
    subject: string,
    resource?: string,
    tenant?: string,
  ): Promise<{ tokens: IssuedTokens; claims: IdTokenClaims | undefined }> {
    const configuration = await this.configuration();
    const parameters: Record<string, string> = {};
    const wanted = resource ?? primaryResource(this.#config);
    if (wanted) parameters.resource = wanted;
    const { tenantTokenParameter } = this.#config;
    if (tenantTokenParameter && tenant !== undefined) parameters[tenantTokenParameter] = tenant;
    const response = await client.refreshTokenGrant(
      configuration,
      refreshToken,
      parameters,
      this.#dpopOption(configuration),
    );
    this.#checkBound(response);
    const tokens = toTokens(response);
    const idToken = response.claims();
    // An ID token about someone else is no refresh of this session (OpenID Connect Core 12.2).
    if (idToken && idToken.sub !== subject) throw new Error('the refreshed ID token names another subject');
    // A token for another resource is for that API alone: userinfo would refuse it, so it is not asked.
    const userinfo =
      resource === undefined
        ? await this.#userinfo(configuration, response.access_token, subject, 'refresh')
        : {};
    const hasUserinfo =
      resource === undefined && configuration.serverMetadata().userinfo_endpoint !== undefined;
    const claims =
      userinfo === undefined || (!idToken && !hasUserinfo)
        ? undefined
        : ({
            iss: configuration.serverMetadata().issuer,
            ...userinfo,
            ...idToken,
            sub: subject,
          } as unknown as IdTokenClaims);
    return { tokens: tokens.refreshToken ? tokens : { ...tokens, refreshToken }, claims };
  }

  /**
   * Trades `accessToken` (the session's main token) for one whose audience is `audience` (OAuth 2.0 Token
   * Exchange, RFC 8693 §2.1: `subject_token_type` access token, `requested_token_type` access token), with the
   * BFF's client authentication and, with DPoP on, a proof of the deployment's key so that the new token is
   * bound to it too. The answer must be an access token (`issued_token_type`, when the issuer says).
   */
  async exchange(accessToken: string, audience: string): Promise<IssuedTokens> {
    const configuration = await this.configuration();
    const response = await client.genericGrantRequest(
      configuration,
      TOKEN_EXCHANGE_GRANT,
      {
        subject_token: accessToken,
        subject_token_type: ACCESS_TOKEN_TYPE,
        requested_token_type: ACCESS_TOKEN_TYPE,
        audience,
      },
      this.#dpopOption(configuration),
    );
    this.#checkBound(response);
    const issued = response.issued_token_type;
    if (issued !== undefined && issued !== ACCESS_TOKEN_TYPE)
      throw new Error(`the token exchange answered a ${String(issued)}, not an access token`);
    // Only the access token: a refresh or ID token the issuer adds is not the session's to keep.
    const { accessToken: exchanged, accessTokenExpiresAt } = toTokens(response);
    return { accessToken: exchanged, accessTokenExpiresAt };
  }

  /** Epoch ms at which the issuer says `refreshToken` expires (token introspection), when it says. */
  async refreshTokenExpiry(refreshToken: string): Promise<number | undefined> {
    const configuration = await this.configuration();
    if (!configuration.serverMetadata().introspection_endpoint) return undefined;
    try {
      const answer = await client.tokenIntrospection(configuration, refreshToken, {
        token_type_hint: 'refresh_token',
      });
      return answer.active && typeof answer.exp === 'number' ? answer.exp * 1000 : undefined;
    } catch {
      return undefined;
    }
  }

  /** Revokes a refresh token at the issuer, when it has a revocation endpoint. Best effort. */
  async revoke(refreshToken: string): Promise<void> {
    const configuration = await this.configuration();
    if (!configuration.serverMetadata().revocation_endpoint) return;
    await client.tokenRevocation(configuration, refreshToken, { token_type_hint: 'refresh_token' });
  }

  /**
   * The issuer's end-session URL for RP-initiated logout with `client_id` and `post_logout_redirect_uri`
   * (no token in the URL), or `undefined` when the issuer has no end-session endpoint.
   */
  async endSessionUrl(): Promise<string | undefined> {
    const endpoint = await this.#endSessionEndpoint();
    if (!endpoint) return undefined;
    const url = new URL(endpoint);
    for (const [name, value] of Object.entries(this.#endSessionParameters()))
      url.searchParams.set(name, value);
    return url.href;
  }

  /**
   * The form of RP-initiated logout by POST (RP-Initiated Logout 1.0 §2): the issuer's end-session endpoint
   * and the fields to send it, `id_token_hint` and `logout_hint` (the user's `sub`) included, so the issuer
   * knows who signs out without asking. `undefined` when the issuer has no end-session endpoint.
   */
  async endSessionForm(hint: {
    readonly idToken?: string | undefined;
    readonly sub: string;
  }): Promise<{ readonly action: string; readonly fields: Readonly<Record<string, string>> } | undefined> {
    const endpoint = await this.#endSessionEndpoint();
    if (!endpoint) return undefined;
    return {
      action: endpoint,
      fields: {
        ...this.#endSessionParameters(),
        ...(hint.idToken ? { id_token_hint: hint.idToken } : {}),
        logout_hint: hint.sub,
      },
    };
  }

  async #endSessionEndpoint(): Promise<string | undefined> {
    try {
      return (await this.configuration()).serverMetadata().end_session_endpoint;
    } catch {
      return undefined;
    }
  }

  #endSessionParameters(): Record<string, string> {
    return {
      client_id: this.#config.clientId,
      post_logout_redirect_uri: new URL(this.#config.postLogoutRedirectPath, this.#config.origin).href,
    };
  }

  /**
   * Validates a back-channel logout token (OpenID Connect Back-Channel Logout 1.0 §2.6): signature by the
   * issuer's keys with an asymmetric algorithm, `typ` `logout+jwt`, `iss`, `aud` = our client id, `iat`,
   * a short age, the back-channel `events` member, `sub` or `sid`, and no `nonce`.
   */
  async verifyLogoutToken(token: string): Promise<LogoutTokenSubject> {
    const configuration = await this.configuration();
    const metadata = configuration.serverMetadata();
    if (!metadata.jwks_uri) throw logoutInvalid('the issuer publishes no jwks_uri');
    this.#jwks ??= createRemoteJWKSet(new URL(metadata.jwks_uri), {
      timeoutDuration: REQUEST_TIMEOUT_S * 1000,
    });
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#jwks, {
        issuer: metadata.issuer,
        audience: this.#config.clientId,
        typ: 'logout+jwt',
        algorithms: [...asymmetricJwsAlgorithms],
        maxTokenAge: '5m',
        clockTolerance: 30,
        // `jti` and `exp` are REQUIRED (Back-Channel Logout 1.0 §2.4): the replay guard remembers each `jti`
        // until the token expires, so a token without them could be replayed to end a later session.
        requiredClaims: ['iat', 'exp', 'jti'],
      }));
    } catch (error) {
      throw logoutInvalid('the logout token does not verify', error);
    }
    const events = payload.events;
    const event = isJsonObject(events) ? events[BACKCHANNEL_EVENT] : undefined;
    if (!isJsonObject(event)) throw logoutInvalid('the logout token has no back-channel logout event object');
    if ('nonce' in payload) throw logoutInvalid('a logout token must not carry a nonce');
    const sub = typeof payload.sub === 'string' ? payload.sub : undefined;
    const sid = typeof payload.sid === 'string' ? payload.sid : undefined;
    if (!sub && !sid) throw logoutInvalid('the logout token names neither sub nor sid');
    if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256)
      throw logoutInvalid('the logout token has no usable jti');
    return {
      iss: metadata.issuer,
      ...(sub ? { sub } : {}),
      ...(sid ? { sid } : {}),
      jti: payload.jti,
      expiresAt: (payload.exp as number) * 1000,
    };
  }
}

function toTokens(response: client.TokenEndpointResponse): IssuedTokens {
  const expiresIn =
    typeof response.expires_in === 'number' ? response.expires_in : DEFAULT_ACCESS_TOKEN_LIFETIME_S;
  return {
    accessToken: response.access_token,
    accessTokenExpiresAt: Date.now() + expiresIn * 1000,
    ...(response.refresh_token ? { refreshToken: response.refresh_token } : {}),
    ...(response.id_token ? { idToken: response.id_token } : {}),
    ...(response.scope ? { scope: response.scope } : {}),
  };
}

function issuerUnavailable(cause: unknown): BffError {
  return new BffError('GH_BFF_ISSUER_UNAVAILABLE', 'The identity provider cannot be reached.', {
    status: 503,
    problem: 'upstream_unavailable',
    cause,
  });
}

function logoutInvalid(message: string, cause?: unknown): BffError {
  return new BffError('GH_BFF_LOGOUT_TOKEN_INVALID', message, { status: 400, problem: 'bad_request', cause });
}
