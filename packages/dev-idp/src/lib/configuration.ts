import type {
  Account,
  AdapterFactory,
  ClientMetadata,
  Configuration,
  interactionPolicy as InteractionPolicy,
  KoaContextWithOIDC,
  errors as OidcErrors,
} from 'oidc-provider';
import type { ResolvedDevIdpOptions } from '../options.js';
import { type DevIdpUser, devIdpAcr } from '../users.js';
import type { SigningJwk } from './keys.js';
import { confirmedLogoutPage, errorPage, loggedOutPage, logoutPage, PAGE_HEADERS } from './pages.js';
import { pairwiseSubject } from './pairwise.js';
import { resourceServerInfo } from './resource-servers.js';
import { exchangedSubject } from './token-exchange.js';

/**
 * Claims released per scope. `conformIdTokenClaims: false` puts them in the ID token as well. Every ID token
 * says how and when the user signed in (`acr`, `auth_time`): a relying party shows the level and checks a
 * step-up without having to ask for them through the `claims` parameter.
 */
const CLAIMS = {
  openid: ['sub', 'acr', 'auth_time'],
  profile: ['name', 'locale', 'currency', 'roles', 'tenants'],
  email: ['email', 'email_verified'],
  acr: null,
  amr: null,
  auth_time: null,
  iss: null,
  sid: null,
};

const epoch = () => Math.floor(Date.now() / 1000);

function tenantsOf(user: DevIdpUser) {
  return user.tenants.map((tenant) => ({ id: tenant.id, roles: [...tenant.roles] }));
}

function claimsOf(user: DevIdpUser) {
  return {
    sub: user.sub,
    name: user.name,
    email: user.email,
    email_verified: user.emailVerified ?? true,
    roles: [...user.roles],
    tenants: tenantsOf(user),
    locale: user.locale,
    currency: user.currency,
  };
}

function clientMetadata(options: ResolvedDevIdpOptions): ClientMetadata[] {
  return options.clients.map((client) => ({
    client_id: client.client_id,
    ...(client.client_secret !== undefined ? { client_secret: client.client_secret } : {}),
    ...(client.jwks_uri !== undefined ? { jwks_uri: client.jwks_uri } : {}),
    ...(client.jwks !== undefined ? { jwks: { keys: client.jwks.keys.map((key) => ({ ...key })) } } : {}),
    ...(client.subject_type !== undefined ? { subject_type: client.subject_type } : {}),
    ...(client.id_token_encrypted_response_alg !== undefined
      ? {
          id_token_encrypted_response_alg: client.id_token_encrypted_response_alg,
          id_token_encrypted_response_enc: 'A256GCM',
        }
      : {}),
    ...(client.client_name ? { client_name: client.client_name } : {}),
    redirect_uris: [...client.redirect_uris],
    post_logout_redirect_uris: [...(client.post_logout_redirect_uris ?? [])],
    ...(client.backchannel_logout_uri
      ? {
          backchannel_logout_uri: client.backchannel_logout_uri,
          backchannel_logout_session_required: client.backchannel_logout_session_required ?? true,
        }
      : {}),
    grant_types: [...(client.grant_types ?? ['authorization_code', 'refresh_token'])],
    response_types: ['code'],
    token_endpoint_auth_method: client.token_endpoint_auth_method ?? 'client_secret_basic',
    id_token_signed_response_alg: options.signingAlg,
  }));
}

/**
 * oidc-provider's prompts, with one more check on `login`: a request whose `acr_values` the session's `acr`
 * is not among signs in again (oidc-provider itself only acts on an essential `acr` in the `claims`
 * parameter). It is how an app steps up: `acr_values` of the stronger class.
 */
function loginPolicy(policy: typeof InteractionPolicy) {
  const prompts = policy.base();
  const wanted = (ctx: KoaContextWithOIDC) => {
    const values = ctx.oidc.params?.acr_values;
    return typeof values === 'string' ? values.split(' ') : [];
  };
  prompts.get('login')?.checks.add(
    new policy.Check('acr_values', 'a stronger sign-in is required', (ctx) => {
      const values = wanted(ctx);
      if (values.length === 0 || ctx.oidc.result?.login) return policy.Check.NO_NEED_TO_PROMPT;
      return values.includes(ctx.oidc.acr ?? '')
        ? policy.Check.NO_NEED_TO_PROMPT
        : policy.Check.REQUEST_PROMPT;
    }),
  );
  return prompts;
}

type Features = NonNullable<Configuration['features']>;

/** A client may revoke only the tokens issued to it. */
function revocation(errors: typeof OidcErrors): Features['revocation'] {
  return {
    enabled: true,
    allowedPolicy(_ctx, client, token) {
      if (token.clientId !== client.clientId) {
        throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
      }
      return true;
    },
  };
}

/** RP-initiated logout with the dev IdP's own pages. */
function rpInitiatedLogout(): Features['rpInitiatedLogout'] {
  return {
    enabled: true,
    logoutSource(ctx, form) {
      ctx.set(PAGE_HEADERS);
      // A valid id_token_hint (oidc-provider checked its signature and audience) names the user: no
      // question asked. Without one, the user confirms.
      if (ctx.oidc.entities.IdTokenHint) {
        const confirmed = confirmedLogoutPage(form);
        ctx.set('content-security-policy', confirmed.csp);
        ctx.body = confirmed.html;
        return;
      }
      ctx.body = logoutPage(form, ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId);
    },
    postLogoutSuccessSource(ctx) {
      ctx.set(PAGE_HEADERS);
      ctx.body = loggedOutPage();
    },
  };
}

/** Access tokens are JWTs for one of the configured API audiences, the first one by default. */
function resourceIndicators(
  options: ResolvedDevIdpOptions,
  errors: typeof OidcErrors,
): Features['resourceIndicators'] {
  const defaultAudience = options.audiences[0]!.resource;
  return {
    enabled: true,
    defaultResource(_ctx, _client, oneOf) {
      if (!oneOf) return defaultAudience;
      return oneOf.includes(defaultAudience) ? defaultAudience : oneOf;
    },
    // The token endpoint uses the resource granted at /auth, so the code and refresh grants both
    // answer with a JWT for that audience without a `resource` parameter.
    useGrantedResource: () => true,
    getResourceServerInfo(_ctx, resourceIndicator) {
      const info = resourceServerInfo(options, resourceIndicator);
      if (!info) throw new errors.InvalidTarget();
      return info;
    },
  };
}

/** The oidc-provider features the dev IdP turns on (and the ones it turns off on purpose). */
function features(options: ResolvedDevIdpOptions, errors: typeof OidcErrors): Features {
  return {
    devInteractions: { enabled: false },
    // The `claims` request parameter: a relying party asks for `amr` (or an essential `acr`) by name.
    claimsParameter: { enabled: true },
    // Only so an ID token can be encrypted for a client that asks (to test relying parties that refuse it).
    encryption: { enabled: true },
    backchannelLogout: { enabled: true },
    revocation: revocation(errors),
    // Every client is confidential and first party: any of them may introspect.
    introspection: { enabled: true, allowedPolicy: () => true },
    // Off: every access token is a JWT for an API audience, which userinfo would refuse anyway; the ID token
    // carries the profile and email claims instead.
    userinfo: { enabled: false },
    rpInitiatedLogout: rpInitiatedLogout(),
    resourceIndicators: resourceIndicators(options, errors),
    // DPoP (RFC 9449): a token request with a `DPoP` proof gets an access token bound to its key (`cnf.jkt`,
    // `token_type` DPoP), which @gatehouse/api then accepts only with a proof of that key.
    dPoP: { enabled: options.dpop },
  };
}

/** Token, session and interaction lifetimes, in seconds. */
function lifetimes(ttl: ResolvedDevIdpOptions['ttl']): Configuration['ttl'] {
  return {
    AccessToken: ttl.AccessToken,
    AuthorizationCode: ttl.AuthorizationCode,
    IdToken: ttl.IdToken,
    Interaction: ttl.Interaction,
    Session: ttl.Session,
    Grant: ttl.Grant,
    // Absolute lifetime of the whole rotation family, counted from the first refresh token (ASVS 10.4.8).
    RefreshToken: (_ctx, token) => Math.max(1, ttl.RefreshToken - (epoch() - (token.iiat ?? epoch()))),
    // Features that are off; set so their defaults never print a notice.
    ClientCredentials: 300,
    DeviceCode: 600,
    BackchannelAuthenticationRequest: 600,
    PreAuthorizedCode: 600,
  };
}

/**
 * oidc-provider's configuration for the dev IdP. Every helper whose default prints a "you SHOULD change this"
 * notice is set, so nothing reaches the console.
 */
export function providerConfiguration(
  options: ResolvedDevIdpOptions,
  keys: { keys: SigningJwk[] },
  state: {
    readonly adapter: AdapterFactory;
    readonly cookieKeys: string[];
    readonly pairwiseSalt: string;
    /** The users by `sub`, as they are now (`DevIdp.updateUser` changes them at runtime). */
    readonly users: ReadonlyMap<string, DevIdpUser>;
  },
  oidc: { readonly errors: typeof OidcErrors; readonly interactionPolicy: typeof InteractionPolicy },
): Configuration {
  const { errors } = oidc;
  const bySub = state.users;

  return {
    adapter: state.adapter,
    clients: clientMetadata(options),
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: options.signingAlg,
      token_endpoint_auth_method: 'client_secret_basic',
    },
    // Confidential clients only (SECURITY 11): both secret methods, whichever one a client registered, and
    // private_key_jwt for clients that registered keys.
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    subjectTypes: ['public', 'pairwise'],
    pairwiseIdentifier: (_ctx, accountId, client) =>
      pairwiseSubject(state.pairwiseSalt, accountId, client.clientId),
    // The BFF talks to the IdP server-side; no browser origin needs CORS.
    clientBasedCORS: () => false,
    claims: CLAIMS,
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { required: () => true },
    cookies: { keys: state.cookieKeys },
    jwks: keys,

    findAccount(_ctx, sub): Account | undefined {
      const user = bySub.get(sub);
      if (!user) return undefined;
      return { accountId: sub, claims: () => claimsOf(user) };
    },

    // Authorization decisions at the APIs need the user's roles and tenants in the access token itself, and
    // step-up decisions (RFC 9470) how and when the user signed in: `acr` and `auth_time` (RFC 9068 §2.2.1),
    // taken from the code or refresh token the access token is issued for.
    // A token request may name one of the user's organisations (`organization`, as the BFF's
    // `tenantTokenParameter` sends it): the access token is then scoped to it (`org_id`), for APIs that act
    // only in the tenant the user works in. One the user is no longer a member of scopes the token to none
    // (APIs that need a tenant refuse it), and the refreshed claims tell the BFF the memberships changed.
    extraTokenClaims(ctx, token) {
      const user = 'accountId' in token && token.accountId ? bySub.get(token.accountId) : undefined;
      if (!user) return undefined;
      // A token exchange (RFC 8693) carries over how and when the user signed in, and the organisation,
      // from the token it exchanges.
      const exchanged = ctx ? exchangedSubject(ctx) : undefined;
      const grant = ctx?.oidc.entities.AuthorizationCode ?? ctx?.oidc.entities.RefreshToken ?? exchanged;
      const organization =
        (ctx?.oidc.body as { organization?: unknown } | undefined)?.organization ?? exchanged?.organization;
      const member = user.tenants.some((tenant) => tenant.id === organization);
      return {
        roles: [...user.roles],
        tenants: tenantsOf(user),
        ...(member ? { org_id: organization } : {}),
        ...(grant?.acr ? { acr: grant.acr } : {}),
        ...(grant?.authTime ? { auth_time: grant.authTime } : {}),
      };
    },

    // oidc-provider drops `offline_access` from a request without `prompt=consent` (OpenID Connect Core 11), so
    // the BFF's plain `scope=openid profile email offline_access` would never get a refresh token. Every client
    // here is first party: one registered with the refresh_token grant gets a refresh token on the code
    // exchange. Without `offline_access` in the granted scope that token is bound to the IdP session (it dies
    // at IdP logout or when the session expires); with `prompt=consent` it is a true offline token.
    issueRefreshToken(_ctx, client, code) {
      return (
        client.grantTypeAllowed('refresh_token') &&
        (code.kind === 'AuthorizationCode' || code.scopes.has('offline_access'))
      );
    },
    // By default every use of a refresh token rotates it; presenting a rotated one revokes the whole grant.
    // Without rotation the same refresh token comes back on every refresh.
    rotateRefreshToken: () => options.rotateRefreshTokens,

    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
      policy: loginPolicy(oidc.interactionPolicy),
    },
    acrValues: [devIdpAcr.password, devIdpAcr.securityCode],

    features: features(options, errors),

    ttl: lifetimes(options.ttl),

    renderError(ctx, out) {
      ctx.type = 'html';
      ctx.set(PAGE_HEADERS);
      ctx.body = errorPage(out.error, out.error_description);
    },

    // oidc-provider refuses loopback addresses for its outgoing requests (an SSRF guard). The only ones the
    // dev IdP makes are back-channel logout POSTs to clients registered in code, which live on localhost.
    fetch(url, init) {
      const { dispatcher: _dispatcher, ...rest } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(url, rest);
    },
  };
}
