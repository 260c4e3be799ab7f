import { createPublicKey, type KeyObject } from 'node:crypto';
import { type JWTPayload, jwtVerify } from 'jose';
import type {
  KoaContextWithOIDC,
  errors as OidcErrors,
  Provider,
  TokenEndpointGrantContext,
} from 'oidc-provider';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT } from '../grants.js';
import type { ResolvedDevIdpOptions } from '../options.js';
import type { DevIdpUser } from '../users.js';
import type { SigningJwk } from './keys.js';
import { pairwiseSubject } from './pairwise.js';
import { resourceServerInfo } from './resource-servers.js';

/**
 * oidc-provider's helpers for custom grants (typed by @types/oidc-provider): the same DPoP proof checks, replay
 * cache and token answer as its own grants. Loaded with the provider, not with this package.
 */
type GrantHelpers = typeof import('oidc-provider/lib/helpers/grants.js');

/** The token-exchange request's own parameters (RFC 8693 §2.1); `resource` and `scope` are oidc-provider's. */
const PARAMETERS = [
  'subject_token',
  'subject_token_type',
  'actor_token',
  'actor_token_type',
  'requested_token_type',
  'audience',
  'resource',
  'scope',
] as const;

type ExchangeParameters = { readonly [name in (typeof PARAMETERS)[number]]?: string };
type ExchangeContext = TokenEndpointGrantContext<ExchangeParameters>;

/** What an exchanged token carries over from the one it was exchanged for. */
export interface ExchangedSubject {
  readonly acr?: string;
  readonly authTime?: number;
  /** The organisation the subject token was scoped to (`org_id`). */
  readonly organization?: string;
}

const subjects = new WeakMap<object, ExchangedSubject>();

/** During a token exchange, what the new token carries over (for `extraTokenClaims`); else `undefined`. */
export function exchangedSubject(ctx: KoaContextWithOIDC): ExchangedSubject | undefined {
  return subjects.get(ctx);
}

/**
 * The grant of each live access token, by `jti`. oidc-provider does not store JWT access tokens, and their
 * claims do not name the grant; the exchange needs it to refuse a token whose grant has ended (revoked at
 * logout) and to issue the new token under the same grant. Kept across key rotations (one per dev IdP), and
 * only until each token expires.
 */
export class IssuedTokenGrants {
  readonly #grants = new Map<string, { readonly grantId: string; readonly expiresAt: number }>();

  /** Remembers that the token `jti` was issued under `grantId` and lives `seconds`. */
  remember(jti: string, grantId: string, seconds: number): void {
    const now = Date.now();
    // Lifetimes barely differ: the oldest entries expire first, so the front of the map is what has expired.
    for (const [key, entry] of this.#grants) {
      if (entry.expiresAt > now) break;
      this.#grants.delete(key);
    }
    this.#grants.set(jti, { grantId, expiresAt: now + seconds * 1000 });
  }

  /** The grant the live token `jti` was issued under, if it is known and unexpired. */
  grantOf(jti: string): string | undefined {
    const entry = this.#grants.get(jti);
    return entry && entry.expiresAt > Date.now() ? entry.grantId : undefined;
  }
}

/** What the token exchange needs of the dev IdP beside the provider. */
export interface TokenExchangeSetup {
  readonly options: Pick<ResolvedDevIdpOptions, 'audiences' | 'signingAlg' | 'ttl'>;
  /** Every published signing key: a subject token signed by any of them (before a rotation too) verifies. */
  readonly keys: readonly SigningJwk[];
  readonly users: ReadonlyMap<string, DevIdpUser>;
  readonly pairwiseSalt: string;
  readonly issued: IssuedTokenGrants;
  readonly errors: typeof OidcErrors;
}

/**
 * Adds OAuth 2.0 Token Exchange (RFC 8693) to the token endpoint: a client trades an access token the dev IdP
 * issued to it (`subject_token`) for one whose audience is another configured API (`audience`, or
 * `resource` as RFC 8707 names it), with no refresh token spent. The new token is for the same user, with
 * their roles as they are now, the `acr`, `auth_time` and organisation of the subject token, no more scope
 * than the subject token had, and no longer life. It refuses a token issued to another client, a
 * DPoP-bound subject token without a proof of its key (RFC 9449), delegation (`actor_token`), and any
 * token type but access tokens. With a DPoP proof, the new token is bound to the proof's key.
 */
export async function registerTokenExchange(provider: Provider, setup: TokenExchangeSetup): Promise<void> {
  const grants = await import('oidc-provider/lib/helpers/grants.js');
  const verificationKeys = new Map<string, KeyObject>(
    setup.keys.map((jwk) => [jwk.kid, createPublicKey({ key: jwk, format: 'jwk' })]),
  );
  provider.on('access_token.issued', (token) => {
    if (token.grantId) setup.issued.remember(token.jti, token.grantId, token.expiration);
  });
  provider.registerGrantType<ExchangeParameters>(
    TOKEN_EXCHANGE_GRANT,
    (ctx) => exchange(provider, grants, setup, verificationKeys, ctx),
    PARAMETERS,
  );
}

// long-function: RFC 8693's checks in the order the RFC lists them, then the token; one request's sequence.
async function exchange(
  provider: Provider,
  grants: GrantHelpers,
  setup: TokenExchangeSetup,
  keys: ReadonlyMap<string, KeyObject>,
  ctx: ExchangeContext,
): Promise<void> {
  const { errors } = setup;
  const { params, client } = ctx.oidc;
  if (params.actor_token !== undefined || params.actor_token_type !== undefined)
    throw new errors.InvalidRequest('actor_token is not supported: the dev IdP does not delegate');
  if (params.requested_token_type !== undefined && params.requested_token_type !== ACCESS_TOKEN_TYPE)
    throw new errors.InvalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
  if (params.subject_token === undefined) throw new errors.InvalidRequest("missing 'subject_token'");
  if (params.subject_token_type !== ACCESS_TOKEN_TYPE)
    throw new errors.InvalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
  if ((params.audience === undefined) === (params.resource === undefined))
    throw new errors.InvalidTarget('name the target API once, as audience or as resource');
  const target = params.audience ?? params.resource ?? '';
  const info = resourceServerInfo(setup.options, target);
  if (!info) throw new errors.InvalidTarget(`the dev IdP serves no API ${target}`);

  const subject = await verifySubject(provider, keys, params.subject_token, errors);
  if (subject.client_id !== client.clientId)
    throw new errors.InvalidGrant('subject_token was issued to another client');
  const accountId = accountOf(setup, subject.sub, client);
  if (accountId === undefined) throw new errors.InvalidGrant('subject_token names no known user');
  const grantId = typeof subject.jti === 'string' ? setup.issued.grantOf(subject.jti) : undefined;
  if (grantId === undefined)
    throw new errors.InvalidGrant('subject_token was not issued by this dev IdP run');
  // The grant still stands (not revoked at logout, still the client's).
  const grant = await grants.validateGrant(provider, ctx, grantId);
  if (grant.accountId !== accountId) throw new errors.InvalidGrant('subject_token and its grant disagree');

  // Proof of possession: a DPoP-bound subject token is exchanged only by the holder of its key.
  const dPoP = await grants.validateDpop(provider, ctx);
  const bound = (subject.cnf as { jkt?: unknown } | undefined)?.jkt;
  if (bound !== undefined && dPoP?.thumbprint !== bound)
    throw new errors.InvalidGrant('subject_token is DPoP-bound: a DPoP proof of its key is required');
  grants.checkDpopRequired(provider, ctx, dPoP);

  const scopes = scopeOf(subject, info.scope, params.scope);
  const left = (subject.exp ?? 0) - Math.floor(Date.now() / 1000);
  const token = new provider.AccessToken({
    accountId,
    client,
    grantId,
    gty: 'token_exchange',
    scope: scopes.join(' ') || undefined,
    ...(left < setup.options.ttl.AccessToken ? { expiresIn: Math.max(1, left) } : {}),
  });
  token.resourceServer = new provider.ResourceServer(target, info);
  if (dPoP) {
    await grants.checkDpopReplay(provider, ctx, dPoP, client.clientId);
    token.setThumbprint('jkt', dPoP.thumbprint);
  }
  subjects.set(ctx, carriedOver(subject));
  ctx.oidc.entity('AccessToken', token);
  const value = await token.save();
  ctx.body = grants.buildTokenResponse(provider, {
    accessToken: value,
    expiresIn: token.expiration,
    scope: token.scope || undefined,
    tokenType: token.tokenType,
    issuedTokenType: ACCESS_TOKEN_TYPE,
  });
}

/**
 * The subject token's claims once its signature (a published key of the dev IdP), issuer, `typ: at+jwt` and
 * times check out (jose); `invalid_grant` otherwise.
 */
async function verifySubject(
  provider: Provider,
  keys: ReadonlyMap<string, KeyObject>,
  token: string,
  errors: typeof OidcErrors,
): Promise<JWTPayload & { sub: string }> {
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const key = header.kid === undefined ? undefined : keys.get(header.kid);
        if (!key) throw new Error('unknown key');
        return key;
      },
      { issuer: provider.issuer, typ: 'at+jwt', requiredClaims: ['sub', 'exp', 'jti', 'client_id'] },
    );
    if (typeof payload.sub !== 'string') throw new Error('no sub');
    return { ...payload, sub: payload.sub };
  } catch {
    throw new errors.InvalidGrant('subject_token is not a valid access token of this issuer');
  }
}

/** The dev IdP's user a token's `sub` names for `client` (pairwise subjects mapped back), if any. */
function accountOf(
  setup: TokenExchangeSetup,
  sub: string,
  client: { readonly clientId: string; readonly subjectType?: string | undefined },
): string | undefined {
  if (client.subjectType !== 'pairwise') return setup.users.has(sub) ? sub : undefined;
  for (const accountId of setup.users.keys())
    if (pairwiseSubject(setup.pairwiseSalt, accountId, client.clientId) === sub) return accountId;
  return undefined;
}

/**
 * The new token's scopes: those the target API accepts, of those the subject token had (an exchange never
 * widens), narrowed further to the requested `scope` when there is one.
 */
function scopeOf(subject: JWTPayload, targetScope: string | undefined, requested: string | undefined) {
  const held = new Set(typeof subject.scope === 'string' ? subject.scope.split(' ') : []);
  const accepted = new Set((targetScope ?? '').split(' '));
  const wanted = requested === undefined ? undefined : new Set(requested.split(' '));
  return [...held].filter((scope) => accepted.has(scope) && (wanted === undefined || wanted.has(scope)));
}

function carriedOver(subject: JWTPayload): ExchangedSubject {
  return {
    ...(typeof subject.acr === 'string' ? { acr: subject.acr } : {}),
    ...(typeof subject.auth_time === 'number' ? { authTime: subject.auth_time } : {}),
    ...(typeof subject.org_id === 'string' ? { organization: subject.org_id } : {}),
  };
}
