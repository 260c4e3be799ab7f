import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import {
  type LoginOptions,
  type LoginOutcome,
  loginOptionLimits,
  loginOptionPatterns,
  loginOutcomes,
  loginPrompts,
  withLoginOutcome,
} from '@gatehouse/policy';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { randomNonce, randomPKCECodeVerifier, randomState } from 'openid-client';
import * as T from 'typebox';
import { deviceOf } from '../device.js';
import { BffError } from '../errors.js';
import { clientAddress } from '../http/client-address.js';
import { rateLimitStore } from '../http/rate-limit.js';
import { oauthErrorCode } from '../oidc.js';
import { type PageSecurity, pageSecurityOf, replyErrorPage } from '../pages.js';
import { safeReturnTo } from '../return-to.js';
import type { GatehouseRuntime } from '../runtime.js';
import { newOpaqueToken } from '../session/ids.js';
import type { LoginTransaction } from '../session/types.js';
import { sessionRef } from '../sessions.js';
import type { BffRouteOptions } from './route-options.js';

/**
 * `GET /auth/login`: a repeated `returnTo` is ignored (the login still starts, back to `/`); the login options
 * are each allow-listed and shaped by the contract's patterns (a bad one: 400 problem+json).
 */
const LoginQuery = T.Object({
  returnTo: T.Optional(T.Union([T.String(), T.Array(T.String())])),
  prompt: T.Optional(T.Union(loginPrompts.map((prompt) => T.Literal(prompt)))),
  login_hint: T.Optional(
    T.String({ maxLength: loginOptionLimits.loginHint, pattern: loginOptionPatterns.loginHint }),
  ),
  max_age: T.Optional(T.String({ pattern: loginOptionPatterns.maxAge })),
  acr_values: T.Optional(T.String({ pattern: loginOptionPatterns.acrValues })),
  ui_locales: T.Optional(T.String({ maxLength: 256, pattern: loginOptionPatterns.uiLocales })),
});
type LoginQuery = T.Static<typeof LoginQuery>;

/** `GET /auth/callback`: what the issuer sends back, each at most once; the rest is openid-client's to check. */
const CallbackQuery = T.Object({
  state: T.Optional(T.String()),
  code: T.Optional(T.String()),
  iss: T.Optional(T.String()),
  error: T.Optional(T.String()),
  error_description: T.Optional(T.String()),
});

const PAGES = {
  unavailable: {
    title: 'Sign-in is unavailable',
    message: 'The identity provider cannot be reached right now. Please try again in a moment.',
  },
  unknownState: {
    title: 'Sign-in link expired',
    message:
      'This sign-in attempt is unknown, already used or was started in another browser. Please sign in again.',
  },
  tooSlow: { title: 'Sign-in took too long', message: 'Please sign in again.' },
  busy: {
    title: 'Sign-in is busy',
    message: 'Too many sign-ins are in progress right now. Please try again in a minute.',
  },
  cancelled: { title: 'Sign-in failed', message: 'Sign-in was cancelled.' },
  acrNotMet: {
    title: 'Sign-in was not strong enough',
    message: 'This needs a stronger sign-in than the identity provider confirmed. Please sign in again.',
  },
  refused: {
    title: 'Sign-in failed',
    message: 'The identity provider’s answer could not be accepted. Please sign in again.',
  },
} as const;

/** Seconds a browser is told to wait when the store holds its most pending logins. */
const BUSY_RETRY_AFTER = 60;

/**
 * `GET /auth/login` and `GET /auth/callback`: the authorization code flow with PKCE S256, `state` bound to
 * this browser by the login cookie, `nonce`, and a new session (a new id) at the end. Failures of the
 * callback are HTML pages (400, or 503 when the issuer is down), never a session. Both are rate-limited per
 * client address (`loginRateLimit` each per `loginRateWindowMs`: 429 problem+json with `Retry-After`).
 */
export const loginRoutes: FastifyPluginAsync<BffRouteOptions> = async (scope, { runtime }) => {
  const { config, cookies, store } = runtime;
  const security = pageSecurityOf(config);
  const limited = config.loginRateLimit > 0;
  if (limited) {
    await scope.register(rateLimit, {
      global: false,
      max: config.loginRateLimit,
      timeWindow: config.loginRateWindowMs,
      store: rateLimitStore(store),
      // Per client address, IPv6 by its /64 (one host holds a whole /64), under the BFF's proxy rule.
      keyGenerator: (request) => normalizeIP(clientAddress(request.raw, config.trustProxy)),
      errorResponseBuilder: (_request, context) => ({
        statusCode: context.statusCode,
        message: 'Too many sign-in requests from this address. Try again later.',
      }),
    });
  }
  const rateLimited = limited ? { rateLimit: {} } : {};

  scope.get<{ Querystring: LoginQuery }>(
    '/auth/login',
    { config: rateLimited, schema: { querystring: LoginQuery } },
    (request, reply) => startLogin(runtime, security, request.query, request.headers.cookie, reply),
  );

  scope.get<{ Querystring: T.Static<typeof CallbackQuery> }>(
    '/auth/callback',
    { config: rateLimited, schema: { querystring: CallbackQuery }, attachValidation: true },
    async (request, reply) => {
      reply.header('referrer-policy', 'no-referrer');
      if (request.validationError) return refused(runtime, reply, security, 'invalid_request');
      const state = request.query.state;
      const binding = cookies.loginBinding(request.headers.cookie);
      // Taken only with this browser's binding: another browser's request can neither use nor spend it.
      const transaction = state && binding ? await store.takeTransaction(state, binding) : undefined;
      if (state === undefined || !transaction || !binding || transaction.binding !== binding) {
        runtime.log.warn(
          { event: 'login_failure', reason: 'state_mismatch' },
          'callback without a matching login',
        );
        runtime.metrics.logins.inc({ outcome: 'state_mismatch' });
        return replyErrorPage(reply, 400, security, PAGES.unknownState);
      }
      if (Date.now() - transaction.createdAt > config.loginTimeout * 1000) {
        return replyErrorPage(reply, 400, security, PAGES.tooSlow);
      }
      const queryAt = request.url.indexOf('?');
      return complete(runtime, request.session, reply, security, {
        rawQuery: queryAt === -1 ? '' : request.url.slice(queryAt + 1),
        state,
        transaction,
        device: deviceOf(request.headers['user-agent']),
      });
    },
  );
};

/**
 * `GET /auth/login`: stores the login transaction (bound to this browser, with its options) and sends the
 * browser to the issuer; a 400 for an `acr_values` not allowed, a 503 page when the issuer or the store is full
 * or down.
 */
async function startLogin(
  runtime: GatehouseRuntime,
  security: PageSecurity,
  query: LoginQuery,
  cookieHeader: string | undefined,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const { config, cookies, oidc, store } = runtime;
  const limits = { perBinding: config.maxPendingLoginsPerBrowser, total: config.maxPendingLogins };
  const { returnTo } = query;
  const options = loginOptions(query);
  const acrValues = options.acr_values?.split(' ');
  const transaction: LoginTransaction = {
    binding: cookies.loginBinding(cookieHeader) ?? newOpaqueToken(32),
    codeVerifier: randomPKCECodeVerifier(),
    nonce: randomNonce(),
    returnTo: safeReturnTo(typeof returnTo === 'string' ? returnTo : undefined),
    createdAt: Date.now(),
    ...(options.prompt ? { prompt: options.prompt } : {}),
    ...(options.max_age === undefined ? {} : { maxAge: options.max_age }),
    ...(acrValues ? { acrValues } : {}),
  };
  const state = randomState();
  let location: URL;
  try {
    if (acrValues) await allowAcrValues(runtime, acrValues);
    const { nonce, codeVerifier } = transaction;
    location = await oidc.authorizationUrl({ state, nonce, codeVerifier }, options);
  } catch (error) {
    if (error instanceof BffError && error.status === 400) throw error;
    return issuerUnavailable(runtime, reply, security, error);
  }
  if (!(await store.putTransaction(state, transaction, config.loginTimeout * 1000, limits))) {
    // The store holds its most pending logins: refuse this one rather than evict someone else's.
    runtime.log.warn({ event: 'login_failure', reason: 'pending_logins_full' }, 'too many pending logins');
    runtime.metrics.logins.inc({ outcome: 'busy' });
    reply.header('retry-after', String(BUSY_RETRY_AFTER));
    return replyErrorPage(reply, 503, security, PAGES.busy);
  }
  return reply
    .header('set-cookie', cookies.setLoginBinding(transaction.binding))
    .redirect(location.href, 302);
}

/** The login options of a validated `/auth/login` query, as the contract names them. */
function loginOptions(query: LoginQuery): LoginOptions {
  const { prompt, login_hint, max_age, acr_values, ui_locales } = query;
  return {
    ...(prompt ? { prompt } : {}),
    ...(login_hint ? { login_hint } : {}),
    ...(max_age === undefined ? {} : { max_age: Number(max_age) }),
    ...(acr_values ? { acr_values } : {}),
    ...(ui_locales ? { ui_locales } : {}),
  };
}

/**
 * Refuses (400) an `acr_values` value that is not allowed: `loginAcrValues` when configured, else what the
 * issuer lists as supported. A page cannot make the BFF ask the issuer for a context no one vetted.
 */
async function allowAcrValues(runtime: GatehouseRuntime, requested: readonly string[]): Promise<void> {
  const allowed = runtime.config.loginAcrValues ?? (await runtime.oidc.acrValuesSupported());
  const refused = requested.find((value) => !allowed.includes(value));
  if (refused !== undefined) {
    throw new BffError('GH_BFF_LOGIN_OPTION_REFUSED', `acr_values: "${refused}" is not allowed here.`, {
      status: 400,
      problem: 'bad_request',
    });
  }
}

/** Redeems the code and starts the session: a new id, whatever session the browser had is ended first. */
async function complete(
  runtime: GatehouseRuntime,
  previous: { readonly id: string | undefined },
  reply: FastifyReply,
  security: PageSecurity,
  callback: { rawQuery: string; state: string; transaction: LoginTransaction; device: string | undefined },
): Promise<FastifyReply> {
  const { cookies, log, metrics, oidc, sessions } = runtime;
  const { transaction } = callback;
  let outcome: Awaited<ReturnType<typeof oidc.redeem>>;
  try {
    const { nonce, codeVerifier, maxAge } = transaction;
    outcome = await oidc.redeem(callback.rawQuery, { state: callback.state, nonce, codeVerifier, maxAge });
  } catch (error) {
    if (error instanceof BffError && error.status === 503) {
      return issuerUnavailable(runtime, reply, security, error.cause);
    }
    const code = oauthErrorCode(error);
    const silent = transaction.prompt === 'none' ? loginOutcomes.find((known) => known === code) : undefined;
    if (silent) return silentLoginOutcome(runtime, reply, transaction.returnTo, silent);
    return refused(runtime, reply, security, code, error);
  }
  const acr = outcome.claims.acr;
  if (transaction.acrValues && !transaction.acrValues.some((value) => value === acr)) {
    // `acr_values` is a wish at the issuer; here it is a requirement. The previous session stays as it was.
    return refused(runtime, reply, security, 'acr_not_met');
  }
  // Re-authentication replaces any previous session: its id is never reused (no fixation). Its refresh token
  // is not revoked when the new session may hold the same grant (a step-up: revoking would end both).
  if (previous.id !== undefined) await sessions.endById(previous.id, 'logout', outcome.claims);
  const session = await sessions.create(outcome.tokens, outcome.claims, callback.device);
  // A remote's action left waiting for this sign-in (a step-up) follows the user to the new session.
  if (previous.id !== undefined) await sessions.pending.carry(previous.id, session.id, session.record);
  log.info({ event: 'login_success', sub: session.record.sub, session: sessionRef(session.id) }, 'signed in');
  metrics.logins.inc({ outcome: 'success' });
  return reply.header('set-cookie', cookies.setSession(session.id)).redirect(transaction.returnTo, 302);
}

/**
 * A silent sign-in (`prompt=none`) the issuer could not complete without a page: back to the app, with the
 * typed outcome in `returnTo`'s query; no session is made or ended.
 */
function silentLoginOutcome(
  { log, metrics }: GatehouseRuntime,
  reply: FastifyReply,
  returnTo: string,
  outcome: LoginOutcome,
): FastifyReply {
  log.info({ event: 'login_silent', outcome }, 'silent sign-in not possible');
  metrics.logins.inc({ outcome: 'silent_refused' });
  return reply.redirect(withLoginOutcome(returnTo, outcome), 302);
}

/** The issuer refused the login, or its answer cannot be accepted: logged, counted, a clear page. */
function refused(
  { log, metrics }: GatehouseRuntime,
  reply: FastifyReply,
  security: PageSecurity,
  code: string | undefined,
  error?: unknown,
): FastifyReply {
  log.warn({ event: 'login_failure', reason: code ?? 'invalid_response', err: error }, 'login failed');
  metrics.logins.inc({ outcome: code === 'access_denied' ? 'cancelled' : 'rejected' });
  const page =
    code === 'access_denied' ? PAGES.cancelled : code === 'acr_not_met' ? PAGES.acrNotMet : PAGES.refused;
  return replyErrorPage(reply, 400, security, page);
}

/** The login cannot reach the identity provider: logged, counted, and a clear page (no stack, no detail). */
function issuerUnavailable(
  { log, metrics }: GatehouseRuntime,
  reply: FastifyReply,
  security: PageSecurity,
  cause: unknown,
): FastifyReply {
  log.error({ event: 'login_failure', reason: 'issuer_unavailable', err: cause }, 'login failed');
  metrics.logins.inc({ outcome: 'issuer_unavailable' });
  return replyErrorPage(reply, 503, security, PAGES.unavailable);
}
